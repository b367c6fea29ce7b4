"""The ``train.augment`` string: none, DiffAugment's policies, or ADA's groups and probability."""

from __future__ import annotations

from dataclasses import dataclass

from ganforge.errors import ConfigError

DIFFAUGMENT_POLICIES = ("color", "translation", "cutout")  # DiffAugment's three, in its order
ADA_GROUPS = {"b": "blit", "g": "geom", "c": "color"}  # ADA's transform groups, in its order
SYNTAX = (
    "none, diffaugment[:POLICIES] (POLICIES: a comma-separated subset of color, translation, "
    "cutout) or ada[:GROUPS][,p=P] (GROUPS: letters of b=blit, g=geom, c=color; P in [0, 1] "
    "fixes the probability, else it adapts)"
)


@dataclass(frozen=True)
class AugmentSpec:
    """A parsed ``train.augment``: the kind, its policies or groups, and ADA's fixed p (None:
    adaptive)."""

    kind: str  # "none", "diffaugment" or "ada"
    parts: tuple[str, ...] = ()  # DiffAugment policies, or ADA group names (blit, geom, color)
    p: float | None = None

    @property
    def adaptive(self) -> bool:
        """Whether ADA adjusts p from the discriminator's outputs."""
        return self.kind == "ada" and self.p is None


def _fail(text: str, why: str) -> ConfigError:
    return ConfigError(f"train.augment={text!r}: {why}; expected {SYNTAX}")


def _unique(items: list[str], text: str) -> tuple[str, ...]:
    seen = [i for n, i in enumerate(items) if i in items[:n]]
    if seen:
        raise _fail(text, f"{seen[0]!r} given twice")
    return tuple(items)


def parse_augment(text: str) -> AugmentSpec:
    """Parse ``train.augment``; a malformed string is one ConfigError line."""
    kind, _, rest = text.strip().partition(":")
    if kind == "none" and not rest:
        return AugmentSpec("none")
    if kind == "diffaugment":
        names = [n.strip() for n in rest.split(",")] if rest else list(DIFFAUGMENT_POLICIES)
        bad = [n for n in names if n not in DIFFAUGMENT_POLICIES]
        if bad:
            raise _fail(text, f"unknown DiffAugment policy {bad[0]!r}")
        return AugmentSpec("diffaugment", _unique(names, text))
    if kind == "ada":
        fields = [f.strip() for f in rest.split(",")] if rest else []
        letters = "bgc"
        p = None
        for n, f in enumerate(fields):
            if f.startswith("p="):
                p = _probability(f[2:], text)
            elif f and n == 0:
                letters = f
            else:
                raise _fail(text, f"unexpected {f!r}")
        bad = [c for c in letters if c not in ADA_GROUPS]
        if bad:
            raise _fail(text, f"unknown ADA group {bad[0]!r}")
        return AugmentSpec("ada", _unique([ADA_GROUPS[c] for c in letters], text), p)
    raise _fail(text, f"unknown kind {kind!r}" if kind else "empty")


def _probability(value: str, text: str) -> float:
    try:
        p = float(value)
    except ValueError:
        raise _fail(text, f"p={value!r} is not a number") from None
    if not 0.0 <= p <= 1.0:
        raise _fail(text, f"p={value} is outside [0, 1]")
    return p
