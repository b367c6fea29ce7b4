"""Listing a folder of images, and saying in one line what was skipped and why.

The listing counts the sub-folders that could not be read (``rglob`` passes over them in
silence); the summary counts the skipped files by reason and writes the full list to a file in
the user cache, whose path it names.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ganforge.data.download import cache_dir
from ganforge.data.images import IMAGE_EXTENSIONS

# What each decoder failure means to a user (by exception name; anything else: damaged).
REASONS = {
    "ImageTooLarge": "over the pixel limit (data.max_pixels)",
    "DecompressionBombError": "over the pixel limit (data.max_pixels)",
    "UnidentifiedImageError": "not an image",
}
DAMAGED = "damaged or unsupported"


def walk_images(root: Path) -> tuple[list[Path], list[Path]]:
    """Image files under ``root`` (recursive, hidden names skipped, symlinked folders followed
    once, sorted) and the sub-folders that could not be read."""
    unreadable: list[Path] = []
    seen: set[tuple[int, int]] = set()
    files = []
    for folder, dirs, names in os.walk(
        root, onerror=lambda e: unreadable.append(Path(e.filename)), followlinks=True
    ):
        here = os.stat(folder)
        if (here.st_dev, here.st_ino) in seen:  # a symlink loop: do not walk it again
            dirs[:] = []
            continue
        seen.add((here.st_dev, here.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            path = Path(folder) / name
            image = not name.startswith(".") and path.suffix.lower() in IMAGE_EXTENSIONS
            if image and path.is_file():
                files.append(path)
    return sorted(files), sorted(unreadable)


def reason_of(message: str) -> str:
    """The kind of a skip reason in words: a decoder's ``"ExceptionName: text"`` by its
    exception, any other reason as it is."""
    if ":" not in message:
        return message
    return REASONS.get(message.split(":", 1)[0].strip(), DAMAGED)


def skip_summary(
    root: Path,
    total: int,
    skipped: Sequence[tuple[object, str]],
    unreadable: Sequence[Path] = (),
    what: str = "images",
) -> str | None:
    """One line (N of M used, reasons counted, where the list is), or None if nothing was
    skipped. The list of every skipped file and folder with its reason is written to the cache."""
    if not skipped and not unreadable:
        return None
    counts = Counter(reason_of(reason) for _, reason in skipped)
    parts = [f"{n} {kind}" for kind, n in counts.most_common()]
    if unreadable:
        parts.append(f"{len(unreadable)} unreadable sub-folder(s)")
    lines = [f"{path}\t{reason}" for path, reason in skipped]
    lines += [f"{path}\tunreadable folder" for path in unreadable]
    tag = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:10]
    try:
        listing = cache_dir("skipped") / f"{root.name or 'root'}-{tag}.txt"
        # a name that is not UTF-8 is kept byte for byte (Python holds its bytes as surrogates)
        listing.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogateescape")
        where = f"the list is in {listing}"
    except OSError as exc:  # a read-only cache must not stop the data from loading
        where = f"the list could not be saved ({exc.strerror or exc})"
    return (
        f"used {total - len(skipped)} of {total} {what} under {root}; skipped "
        f"{', '.join(parts)}; {where}"
    )
