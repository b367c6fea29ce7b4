"""Every model family speaks the one vocabulary (as test_layering keeps the import order)."""

from __future__ import annotations

import typing

import pytest

from ganforge.config import _hints, parameters
from ganforge.legacy import MODEL_RENAMES, PROGRESSION_KEYS
from ganforge.models.vocabulary import OWN, SHARED, VOCABULARY
from ganforge.nn.norm import NORMS
from ganforge.registry import MODELS

# stems of the synonyms families used to invent (hidden units, feature maps, filter counts, ...)
SYNONYM_STEMS = ("hidden", "fmap", "filters", "ngf", "ndf", "nz", "latent", "blocks", "channels")
FAMILIES = MODELS.names()


@pytest.mark.parametrize("family", FAMILIES)
def test_every_parameter_of_every_family_is_a_word_of_the_vocabulary(family: str) -> None:
    unknown = set(parameters(MODELS.get(family))) - set(VOCABULARY)
    assert not unknown, (
        f"model {family!r} has parameters outside models/vocabulary.py: {sorted(unknown)}; use "
        "the shared names or add a genuinely new concept there"
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_norm_choices_come_from_the_one_shared_set(family: str) -> None:
    hints = _hints(MODELS.get(family))
    for key in ("g_norm", "d_norm"):
        if key in hints:
            choices = set(typing.get_args(hints[key]))
            assert choices and choices <= set(NORMS), (family, key, choices - set(NORMS))


def test_no_own_concept_is_a_synonym_of_a_shared_one_or_a_retired_name() -> None:
    retired = {old for renames in MODEL_RENAMES.values() for old in renames} | set(PROGRESSION_KEYS)
    assert not set(OWN) & set(SHARED)
    assert not retired & set(VOCABULARY)
    for word in VOCABULARY:
        assert not any(stem in word for stem in SYNONYM_STEMS), word


def test_every_family_uses_the_shared_latent_and_width_names_where_it_has_them() -> None:
    """The families that have a latent and configurable widths all call them the same."""
    for family in ("dcgan", "mlp", "progan", "stylegan"):
        assert {"z_dim", "g_width", "d_width"} <= set(parameters(MODELS.get(family))), family
    for family in ("pix2pix", "cyclegan"):
        assert {"g_width", "d_width", "g_depth", "patch_layers"} <= set(
            parameters(MODELS.get(family))
        )
