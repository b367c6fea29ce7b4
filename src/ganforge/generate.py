"""One PNG per seed from a run (``ganforge generate``), as stylegan2-ada's generate.py writes.

The image of seed ``s`` is ``Generator.sample(1, seed=s)``: the project's one sampler with a
latent drawn from a CPU generator seeded with ``s``, so it is the image ``ganforge sample --n 1
--seed s`` shows (enlarged in a grid there) and does not depend on which other seeds are asked
for. The files hold the images at the model's size, for ``compare``, torch-fidelity or a paper.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from ganforge.data.grid import to_uint8
from ganforge.errors import GanforgeError
from ganforge.limits import SEED_MAX
from ganforge.runs import Loaded

MAX_SEEDS = 1_000_000  # seeds one call writes (a range such as 0-4294967295 is a typo)


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``"0-99"``, ``"0-9,20,30-32"`` or ``"7"`` (inclusive ranges, in order, once)."""
    seeds: list[int] = []
    for part in str(text).replace(" ", "").split(","):
        if not part:
            raise GanforgeError(f"--seeds {text!r}: an empty item; write e.g. 0-9,20,30-32")
        low, sep, high = part.partition("-")
        if not low.isdigit() or (sep and not high.isdigit()):
            raise GanforgeError(
                f"--seeds {text!r}: {part!r} is not a seed or a range; write e.g. 0-9,20,30-32"
            )
        start, stop = int(low), int(high) if sep else int(low)
        if stop < start:
            raise GanforgeError(f"--seeds {text!r}: the range {part} runs backwards")
        if stop > SEED_MAX:
            raise GanforgeError(f"--seeds {text!r}: seeds go up to {SEED_MAX}")
        if stop - start + 1 + len(seeds) > MAX_SEEDS:
            raise GanforgeError(f"--seeds {text!r}: more than {MAX_SEEDS:,} seeds in one call")
        seeds.extend(range(start, stop + 1))
    return list(dict.fromkeys(seeds))


def seed_file(seed: int) -> str:
    """The file name of seed ``seed``'s image (stylegan2-ada's: seed0042.png)."""
    return f"seed{seed:04d}.png"


def generate(
    model: Loaded,
    seeds: list[int],
    out_dir: str | Path,
    label: int | None = None,
    truncation: float | None = None,
) -> list[Path]:
    """Write ``seed{NNNN}.png`` for each seed under ``out_dir`` (class ``label`` when given)."""
    if model.info.kind != "image":
        raise GanforgeError(
            f"generate writes images; this {model.config.model.name} run makes "
            f"{model.info.kind} samples (use `ganforge sample` or `ganforge translate`)"
        )
    classes = int(getattr(model.g, "n_classes", 0))
    if classes and label is None:
        raise GanforgeError(
            f"{model.config.model.name} is class-conditional: give --class K (0..{classes - 1})"
        )
    if label is not None and not classes:
        raise GanforgeError(
            f"--class needs a class-conditional model; {model.config.model.name!r} here is "
            "unconditional"
        )
    if label is not None and not 0 <= label < classes:
        raise GanforgeError(f"--class must be in 0..{classes - 1}, got {label}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    labels = None if label is None else [label]
    written = []
    for seed in seeds:
        image = to_uint8(model.sample(1, seed, labels, truncation=truncation))[0]
        array = image.numpy().transpose(1, 2, 0)
        path = out / seed_file(seed)
        tmp = path.with_name(path.name + ".tmp")
        Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array).save(tmp, format="PNG")
        tmp.replace(path)
        written.append(path)
    return written
