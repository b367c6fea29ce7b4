"""Search spaces: encoding round-trips, sampling ranges, specs and their error messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ganforge.bayes.optimize.space import Categorical, Integer, Real, Space, as_dimension

SPACE = Space(
    [
        Real(-3.0, 7.0, name="a"),
        Real(1e-5, 1e-1, log=True, name="lr"),
        Integer(1, 5, name="k"),
        Integer(1, 1024, log=True, name="width"),
        Categorical(("adam", "sgd", True, 3), name="choice"),
    ]
)


@st.composite
def points(draw: st.DrawFn) -> list:
    return [
        draw(st.floats(-3.0, 7.0)),
        draw(st.floats(1e-5, 1e-1)),
        draw(st.integers(1, 5)),
        draw(st.integers(1, 1024)),
        draw(st.sampled_from(["adam", "sgd", True, 3])),
    ]


@settings(max_examples=200, deadline=None)
@given(points())
def test_encode_decode_round_trips(point: list) -> None:
    box = SPACE.encode([point])
    assert box.shape == (1, SPACE.n_columns)
    assert np.all((box >= 0) & (box <= 1))
    back = SPACE.decode(box)[0]
    assert back[0] == pytest.approx(point[0], rel=1e-12, abs=1e-12)
    assert back[1] == pytest.approx(point[1], rel=1e-12)
    assert back[2:] == point[2:]
    assert type(back[4]) is type(point[4])  # True stays a bool, 3 stays an int
    SPACE.check(back)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-0.5, 1.5), min_size=SPACE.n_columns, max_size=SPACE.n_columns))
def test_decode_of_any_box_point_is_valid_and_snaps_idempotently(u: list) -> None:
    box = np.array([u])
    point = SPACE.decode(box)[0]
    SPACE.check(point)
    snapped = SPACE.snap(box)
    np.testing.assert_array_equal(SPACE.snap(snapped), snapped)


def test_sampling_covers_each_integer_and_category_evenly() -> None:
    pts = SPACE.sample(6000, np.random.default_rng(0))
    ks = np.bincount([p[2] for p in pts], minlength=6)[1:]
    assert ks.min() > 1000  # 1200 expected for each of 5 values
    cats = [SPACE.dimensions[4].index(p[4]) for p in pts]
    assert np.bincount(cats).min() > 1300  # 1500 expected
    lrs = np.log10([p[1] for p in pts])
    assert lrs.min() >= -5 and lrs.max() <= -1
    assert abs(np.median(lrs) + 3) < 0.1  # log-uniform: median at 1e-3


def test_json_round_trip_and_dict_specs() -> None:
    assert Space.from_json(SPACE.to_json()) == SPACE
    spec = {
        "optim.lr_g": {"low": 1e-5, "high": 1e-3, "log": True},
        "train.d_steps": {"low": 1, "high": 5},
        "loss.name": {"choices": ["hinge", "wgan-gp"]},
        "model.width": (32, 128),
        "optim.beta1": (0.0, 0.9),
    }
    space = Space(spec)
    kinds = [type(d).__name__ for d in space.dimensions]
    assert kinds == ["Real", "Integer", "Categorical", "Integer", "Real"]
    assert space.names == list(spec)
    assert space.as_dict([1e-4, 2, "hinge", 64, 0.5])["loss.name"] == "hinge"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"low": 1, "high": 0}, "low <= high"),
        ({"low": 0.0, "high": 1.0, "log": True}, "log-scaled Real needs low > 0"),
        ({"low": 1.0}, "needs 'low' and 'high'"),
        ({"low": 0.0, "high": 1.0, "step": 2}, "unknown keys"),
        ({"low": 0, "high": 3, "type": "complex"}, "type must be real, int or categorical"),
        ({"choices": ["a", "a"]}, "distinct"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        as_dimension(spec, "dim")


def test_check_names_the_bad_dimension() -> None:
    with pytest.raises(ValueError, match="k=9 is outside"):
        SPACE.check([0.0, 1e-3, 9, 4, "sgd"])
    with pytest.raises(ValueError, match="point has 2 values"):
        SPACE.check([0.0, 1e-3])
