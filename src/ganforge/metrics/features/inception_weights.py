"""Finding, fetching and loading the FID Inception-v3 weights; nothing is downloaded silently.

The weights are the TensorFlow 2015-12-05 Inception graph ported to PyTorch by pytorch-fid
(the same file torch-fidelity uses). Lookup order: an explicit path, then the environment
variable ``GANFORGE_INCEPTION_WEIGHTS``, then the user cache, where
``ganforge weights fetch inception`` puts the SHA-256-checked download.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ganforge.data.download import cache_dir, download
from ganforge.errors import DataError, GanforgeError

FILENAME = "pt_inception-2015-12-05-6726825d.pth"
SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
SIZE_BYTES = 95_628_359
# The pytorch-fid release first; torch-fidelity publishes the identical file.
URLS = (
    f"https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/{FILENAME}",
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
    "weights-inception-2015-12-05-6726825d.pth",
)
ENV_VAR = "GANFORGE_INCEPTION_WEIGHTS"


def default_path() -> Path:
    """Where ``ganforge weights fetch inception`` stores the file."""
    return cache_dir("weights") / FILENAME


def how_to_get() -> str:
    """The instructions a user needs when the weights are missing."""
    return (
        f"run `ganforge weights fetch inception` (downloads {SIZE_BYTES / 1e6:.0f} MB, "
        f"SHA-256 checked, into {default_path()}), or download {URLS[0]} yourself and set "
        f"{ENV_VAR}=/path/to/{FILENAME} (or pass weights=PATH to the extractor)"
    )


def locate(path: str | Path | None = None) -> Path:
    """The weights file to use: ``path``, else $GANFORGE_INCEPTION_WEIGHTS, else the cache."""
    if path is None and os.environ.get(ENV_VAR):
        path, origin = os.environ[ENV_VAR], f"${ENV_VAR}"
    else:
        origin = "weights="
    if path is not None:
        file = Path(path).expanduser()
        if not file.is_file():
            raise GanforgeError(
                f"Inception weights {file} (from {origin}) do not exist; " + how_to_get()
            )
        return file
    file = default_path()
    if not file.is_file():
        raise GanforgeError(
            "the FID Inception-v3 weights are not available offline; " + how_to_get()
        )
    return file


def fetch(path: str | Path | None = None) -> Path:
    """Download the published weights (explicitly requested) to ``path`` or the cache, checked."""
    dest = Path(path).expanduser() if path else default_path()
    failures = []
    for url in URLS:  # mirrors of the same file, tried in order
        try:
            return download(url, dest, sha256=SHA256, timeout=120.0)
        except DataError as exc:  # no network, or a corrupt copy: try the next mirror
            reason = f"{url}: {exc.__cause__}" if exc.__cause__ else str(exc)
            failures.append(reason)
    raise GanforgeError(
        f"could not download the FID Inception weights ({'; '.join(failures)}). "
        f"Without a network: download {URLS[0]} on a machine that has one, check that its "
        f"SHA-256 is {SHA256}, then put it at {dest} or set {ENV_VAR} to its path."
    )


def load_state(file: Path, layout: dict[str, tuple[int, ...]]) -> dict[str, torch.Tensor]:
    """Read a state dict in exactly the standard layout, floating tensors cast to float32."""
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a corrupt or foreign file
        raise GanforgeError(
            f"{file} is not a readable PyTorch state dict ({exc}); " + how_to_get()
        ) from exc
    if not isinstance(state, dict):
        raise GanforgeError(f"{file} holds a {type(state).__name__}, not a state dict")
    missing = sorted(set(layout) - set(state))
    unexpected = sorted(set(state) - set(layout))
    wrong = [k for k in layout if k in state and tuple(state[k].shape) != tuple(layout[k])]
    if missing or unexpected or wrong:
        detail = "; ".join(
            f"{label}: {', '.join(keys[:4])}{' ...' if len(keys) > 4 else ''}"
            for label, keys in (
                ("missing", missing),
                ("unexpected", unexpected),
                ("bad shape", wrong),
            )
            if keys
        )
        raise GanforgeError(
            f"{file} is not the FID Inception-v3 checkpoint layout ({detail}); " + how_to_get()
        )
    return {k: v.float() if v.is_floating_point() else v for k, v in state.items()}


def status() -> str:
    """One line: where the weights will be read from, or how to get them."""
    try:
        return f"weights: {locate()}"
    except GanforgeError:
        return "weights missing: run `ganforge weights fetch inception`"
