"""stylegan2-ada's dataset zip: images at any depth plus an optional ``dataset.json``.

``dataset.json`` holds ``{"labels": [["00000/img00000000.png", 6], ...]}`` (or ``null``). Members
are read from the archive on demand (nothing is extracted to disk); each process opens the file
itself, so DataLoader workers never share a file position.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ganforge.data.images import IMAGE_EXTENSIONS
from ganforge.errors import DataError

LABELS_FILE = "dataset.json"
EXPECTED = "a stylegan2-ada dataset zip (images, optional dataset.json with labels)"


def is_zip(path: Path) -> bool:
    """Whether ``path`` is a file named .zip or starting with a zip signature."""
    return path.is_file() and (path.suffix.lower() == ".zip" or zipfile.is_zipfile(path))


class ZipImages:
    """The image members of a zip (sorted names) and a per-process handle to read them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._pid = -1
        try:
            members = self._archive().namelist()
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise DataError(
                f"{path} is not a readable zip archive ({exc}); expected {EXPECTED}"
            ) from None
        self.members = set(members)
        self.names = sorted(n for n in members if _is_image_name(n))

    def _archive(self) -> zipfile.ZipFile:
        if self._zip is None or self._pid != os.getpid():
            self._zip = zipfile.ZipFile(self.path)
            self._pid = os.getpid()
        return self._zip

    def read(self, name: str) -> io.BytesIO:
        """The bytes of one member, as a file object."""
        return io.BytesIO(self._archive().read(name))

    def labels(self) -> list[int] | None:
        """Each image's integer label from dataset.json (None without labels)."""
        if LABELS_FILE not in self.members:
            return None
        try:
            table = json.load(self.read(LABELS_FILE)).get("labels")
        except (ValueError, AttributeError, zipfile.BadZipFile, OSError) as exc:
            raise DataError(
                f"{self.path}: {LABELS_FILE} is not readable JSON with a 'labels' list ({exc})"
            ) from None
        if table is None:
            return None
        try:
            by_name = {str(name).replace("\\", "/"): label for name, label in table}
        except (TypeError, ValueError):
            raise DataError(
                f"{self.path}: {LABELS_FILE} 'labels' must be [[file name, class], ...]"
            ) from None
        missing = [n for n in self.names if n not in by_name]
        if missing:
            raise DataError(
                f"{self.path}: {LABELS_FILE} has no label for {len(missing)} image(s), "
                f"e.g. {missing[0]}"
            )
        labels = [by_name[n] for n in self.names]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in labels):
            raise DataError(
                f"{self.path}: {LABELS_FILE} labels must be class numbers (integers >= 0)"
            )
        return labels

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_zip": None, "_pid": -1}


def _is_image_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    hidden = any(p.startswith(".") or p == "__MACOSX" for p in parts)
    return (
        not name.endswith("/")
        and not hidden
        and PurePosixPath(name).suffix.lower() in (IMAGE_EXTENSIONS)
    )


@dataclass(frozen=True)
class ZipMember:
    """One image inside a zip (what the folder dataset decodes in place of a file path)."""

    archive: ZipImages
    name: str

    def open(self) -> io.BytesIO:
        """The member's bytes."""
        return self.archive.read(self.name)

    def __str__(self) -> str:
        return f"{self.archive.path}:{self.name}"
