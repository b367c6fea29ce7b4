"""Recovery: a full disk while saving, stale temporary files, a damaged latest.pt, foreign files."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from ganforge import config, runs
from ganforge.checkpoints import list_checkpoints
from ganforge.train import train

from ..conftest import run_cli
from .test_engine import TINY_DCGAN, _stop_at

QUICK = [*TINY_DCGAN, "eval.metrics=[]"]


def _sets(overrides: list[str]) -> list[str]:
    return [a for o in overrides for a in ("--set", o)]


def _train_cli(capsys, root: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli(
        capsys, "train", "--runs-dir", str(root), "--name", "r", "--quiet", *_sets(QUICK), *extra
    )


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_a_full_disk_while_saving_is_one_line_and_resume_works_once_space_is_freed(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    real_save = torch.save

    def full_at_step_8(obj, handle, *args, **kwargs):
        if str(getattr(handle, "name", "")).endswith("step-0000008.pt.tmp"):
            handle.write(b"x" * 4096)  # a partial file, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_save(obj, handle, *args, **kwargs)

    monkeypatch.setattr(torch, "save", full_at_step_8)
    code, _, err = _train_cli(capsys, tmp_path)
    line = _one_line(err)
    assert code == 2
    assert "step-0000008.pt" in line and "is full" in line
    assert "last good checkpoint is" in line and line.count("step-0000004.pt") == 1
    assert f"ganforge train --resume {tmp_path / 'r'}" in line
    run = tmp_path / "r"
    assert not list(run.rglob("*.tmp"))  # the partial file was removed
    assert [s for s, _ in list_checkpoints(run / "checkpoints")] == [4]

    monkeypatch.undo()  # space freed
    code, out, err = run_cli(capsys, "train", "--resume", str(run), "--quiet")
    assert code == 0, err
    assert "completed at step 12/12" in out
    assert "resumed from" in (run / "log.txt").read_text()


def test_a_full_disk_after_the_last_checkpoint_is_one_line(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """The run orchestration writes floors.json (the evaluator's finish) and the report after
    training; a full disk there is the same one line as during training."""

    def full(path: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path / "report.html"))

    monkeypatch.setattr("ganforge.train.orchestration.write_report", full)
    code, _, err = _train_cli(capsys, tmp_path)
    line = _one_line(err)
    assert code == 2 and "report.html" in line
    assert f"ganforge train --resume {tmp_path / 'r'}" in line


def test_stale_temporary_files_are_removed_before_a_resume(tmp_path: Path, capsys) -> None:
    stopped = train(config.resolve(None, QUICK), runs_root=tmp_path, callbacks=[_stop_at(6)])
    folder = stopped.run.checkpoints
    for name in (".step-0000008.pt.tmp", ".latest.pt.tmp"):
        (folder / name).write_bytes(b"\0" * 100_000)  # what a kill -9 mid-write leaves
    code, out, err = run_cli(capsys, "train", "--resume", str(stopped.run.path), "--quiet")
    assert code == 0, err
    assert "completed at step 12/12" in out
    assert not list(folder.glob("*.tmp"))


def _copy_run(run: Path, dest: Path) -> Path:
    shutil.copytree(run, dest)  # copies break latest.pt's hard link: each file stands alone
    return dest


def test_resume_falls_back_from_a_damaged_latest_to_the_newest_readable_step(
    tiny_run: Path, tmp_path: Path, capsys
) -> None:
    run = _copy_run(tiny_run, tmp_path / "run")
    folder = run / "checkpoints"
    for name in ("latest.pt", "step-0000012.pt"):  # damaged in place from outside
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 3])
    code, out, err = run_cli(
        capsys, "train", "--resume", str(run), "--quiet", "--set", "train.steps=16"
    )
    assert code == 0, err
    assert "Traceback" not in err
    assert "latest.pt is not a readable checkpoint" in err
    assert "latest.pt and step-0000012.pt are unreadable; using" in err
    assert "step-0000008.pt (step 8)" in err
    assert "completed at step 16/16" in out
    assert "step-0000008.pt at step 8" in (run / "log.txt").read_text()


def test_sample_uses_the_newest_readable_checkpoint_of_a_run(
    tiny_run: Path, tmp_path: Path, capsys
) -> None:
    run = _copy_run(tiny_run, tmp_path / "run")
    (run / "checkpoints" / "latest.pt").write_bytes(b"garbage")
    out = tmp_path / "g.png"
    code, _, err = run_cli(capsys, "sample", str(run), "--n", "4", "--out", str(out))
    assert code == 0, err
    assert "using" in err and "step-0000012.pt (step 12)" in err
    assert out.is_file()


def test_a_battle_judges_with_the_newest_readable_discriminator(
    tiny_run: Path, tmp_path: Path, capsys
) -> None:
    """battle/tournament/nrds load discriminators (runs.load_discriminator) the way sample loads
    generators: past a damaged latest.pt."""
    run = _copy_run(tiny_run, tmp_path / "run")
    (run / "checkpoints" / "latest.pt").write_bytes(b"garbage")
    code, out, err = run_cli(capsys, "battle", str(run), str(run), "--n", "16")
    assert code == 0, err
    assert "Traceback" not in err and "winner:" in out
    assert "using" in err and "step-0000012.pt (step 12)" in err
    assert runs.load_discriminator(run).step == 12


def test_a_run_without_a_readable_checkpoint_is_one_line(
    tiny_run: Path, tmp_path: Path, capsys
) -> None:
    run = _copy_run(tiny_run, tmp_path / "run")
    for path in (run / "checkpoints").glob("*.pt"):
        path.write_bytes(b"")
    code, _, err = run_cli(capsys, "train", "--resume", str(run), "--quiet")
    assert code == 2
    assert "no checkpoint of run" in err.strip().splitlines()[-1]
    assert "Traceback" not in err


def _foreign_files(folder: Path) -> dict[str, Path]:
    files = {
        "pickled module": torch.nn.Linear(2, 2),
        "plain dict": {"state_dict": {"w": torch.zeros(2)}},
        "tensor": torch.zeros(3),
    }
    out = {}
    for label, obj in files.items():
        out[label] = folder / f"{label.replace(' ', '-')}.pt"
        torch.save(obj, out[label])
    out["random bytes"] = folder / "noise.pt"
    out["random bytes"].write_bytes(os.urandom(2048))
    out["empty"] = folder / "empty.pt"
    out["empty"].write_bytes(b"")
    return out


@pytest.mark.parametrize("command", ["sample", "evaluate"])
def test_a_file_that_is_not_a_ganforge_checkpoint_gets_one_line_of_our_own(
    tmp_path: Path, capsys, command: str
) -> None:
    for label, path in _foreign_files(tmp_path).items():
        code, _, err = run_cli(capsys, command, str(path))
        line = _one_line(err)
        assert code == 2, label
        assert "weights_only" not in line and "torch.load" not in line, label
        assert "ganforge checkpoint" in line or "not a readable checkpoint" in line, label
        assert "ganforge train" in line, label


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 450 KB tmpfs (two tiny checkpoints fit, three do not); skipped where we cannot mount."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=450k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_really_full_disk_stops_in_one_line_and_the_run_resumes_once_it_grows(
    small_disk: Path, capsys
) -> None:
    code, _, err = _train_cli(capsys, small_disk)
    line = _one_line(err)
    assert code == 2
    assert f"the disk mounted at {small_disk} is full" in line
    assert "the last good checkpoint is" in line
    run = small_disk / "r"
    assert not list(run.rglob("*.tmp"))
    subprocess.run(["mount", "-o", "remount,size=4m", str(small_disk)], check=True)
    code, out, err = run_cli(capsys, "train", "--resume", str(run), "--quiet")
    assert code == 0, err
    assert "completed at step 12/12" in out
