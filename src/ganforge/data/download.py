"""Explicit, checksummed downloads into the user cache; nothing is fetched silently."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from ganforge.errors import DataError


def cache_dir(*parts: str) -> Path:
    """``$GANFORGE_HOME`` or ``$XDG_CACHE_HOME/ganforge`` (default ``~/.cache/ganforge``)."""
    root = os.environ.get("GANFORGE_HOME")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = str(Path(xdg) / "ganforge")
    path = Path(root).joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_hash(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(
    url: str,
    dest: str | Path,
    *,
    md5: str | None = None,
    sha256: str | None = None,
    timeout: float = 60.0,
) -> Path:
    """Fetch ``url`` to ``dest`` atomically and verify its checksum (a good file is kept)."""
    dest = Path(dest)
    expected = ("md5", md5) if md5 else ("sha256", sha256) if sha256 else None
    if dest.is_file() and (expected is None or file_hash(dest, expected[0]) == expected[1]):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out)
        if expected and file_hash(tmp, expected[0]) != expected[1]:
            raise DataError(f"{url}: {expected[0]} checksum mismatch; the download is corrupt")
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise DataError(
            f"could not download {url} ({exc}); no network? fetch it by hand and put it at {dest}"
        ) from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest
