"""Shared fixtures: paths to the read-only shared data, a temporary runs root, quiet training."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from ganforge.device import single_thread


def _find_shared() -> Path:
    """The read-only ``shared`` folder beside the checkout (or beside any parent of it)."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "DESIGN.md").is_file():
            return parent / "shared"
    return Path(__file__).resolve().parents[2] / "shared"


SHARED = _find_shared()
MNIST_DIR = SHARED / "data" / "mnist"
GOLDEN = SHARED / "golden"

torch.set_num_threads(2)


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep the user cache (downloads, trained classifiers) inside a per-session temp folder."""
    monkeypatch.setenv("GANFORGE_HOME", str(tmp_path_factory.getbasetemp() / "ganforge-home"))


@pytest.fixture(scope="module")
def one_thread() -> Iterator[None]:
    """One torch thread for a module: on 2 shared cores extra threads mostly wait."""
    with single_thread():
        yield


def require(path: Path) -> Path:
    """Skip a test when shared data it needs is absent (the shared folder is read-only input)."""
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny completed DCGAN run with checkpoints at steps 4, 8 and 12 (copy it to change it)."""
    from ganforge import config
    from ganforge.train import train

    from .train.test_engine import TINY_DCGAN

    root = tmp_path_factory.mktemp("tiny-run")
    return train(config.resolve(None, [*TINY_DCGAN, "eval.metrics=[]"]), runs_root=root).run.path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the ganforge CLI in-process: (exit code, stdout, stderr)."""
    from ganforge.cli import main

    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err
