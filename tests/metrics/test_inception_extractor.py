"""inception-v3-fid: golden equivalence with the reference port, preprocessing, weights handling."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganforge.data.download import file_hash
from ganforge.errors import GanforgeError
from ganforge.metrics.features import inception_weights
from ganforge.metrics.features.inception import InceptionExtractor
from ganforge.metrics.features.inception_net import FIDInceptionV3
from ganforge.metrics.features.resize import pil_bicubic, tf1_bilinear
from ganforge.registry import EXTRACTORS

from ..conftest import GOLDEN, require

pytestmark = pytest.mark.usefixtures("one_thread")  # from conftest

SETS = ("rgb32", "mnist28", "rgb299", "rgb48x64")
FEATURES = {"64": "64", "192": "192", "768": "768", "2048": "features"}
FEATURES |= {"logits_unbiased": "logits_unbiased", "logits": "logits"}


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """Worst per-image ||actual - expected|| / ||expected||."""
    diff = np.linalg.norm(actual - expected, axis=1)
    return float((diff / np.linalg.norm(expected, axis=1)).max())


@pytest.fixture(scope="module")
def golden_weights(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The random-valued reference weights cast to float32 (as the golden README asks)."""
    state = torch.load(
        require(GOLDEN / "inception_random_weights_fp16.pt"), map_location="cpu", weights_only=True
    )
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    path = tmp_path_factory.mktemp("inception") / "random-fp32.pt"
    torch.save(state, path)
    return str(path)


@pytest.fixture(scope="module")
def extractor(golden_weights: str) -> InceptionExtractor:
    """The extractor on the golden weights, on CPU."""
    return InceptionExtractor(golden_weights, device="cpu")


@pytest.fixture(scope="module")
def images() -> dict[str, np.ndarray]:
    """The golden uint8 NCHW image sets."""
    with np.load(require(GOLDEN / "inception_images.npz")) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def expected() -> dict[str, np.ndarray]:
    """Reference features per set and feature name."""
    with np.load(require(GOLDEN / "inception_expected_features.npz")) as data:
        return {k: data[k].astype(np.float64) for k in data.files}


@pytest.fixture(scope="module")
def computed(extractor: InceptionExtractor, images: dict[str, np.ndarray]) -> dict[str, dict]:
    """Our features of every golden set (default batch size: each set in one batch)."""
    return {name: extractor(images[name]) for name in SETS}


def test_state_dict_layout_is_exactly_the_standard_checkpoint() -> None:
    layout = json.loads(require(GOLDEN / "inception_state_dict_layout.json").read_text())
    ours = [[k, list(v.shape)] for k, v in FIDInceptionV3().state_dict().items()]
    assert sorted(ours) == sorted(layout)


@pytest.mark.parametrize("image_set", SETS)
def test_features_match_the_reference(
    image_set: str, computed: dict[str, dict], expected: dict[str, np.ndarray]
) -> None:
    for golden_name, our_name in FEATURES.items():
        ref = expected[f"{image_set}/{golden_name}"]
        ours = computed[image_set][our_name]
        assert ours.shape == ref.shape and ours.dtype == np.float64
        assert relative_error(ours, ref) < 1e-4, (image_set, golden_name)


def test_features_do_not_depend_on_batch_size(
    extractor: InceptionExtractor, images: dict[str, np.ndarray], computed: dict[str, dict]
) -> None:
    extractor.batch_size = 2  # three images: batches of 2 and 1 instead of one of 6
    try:
        split = extractor(images["rgb32"][:3])
    finally:
        extractor.batch_size = 50
    for key, value in computed["rgb32"].items():
        np.testing.assert_allclose(split[key], value[:3], rtol=1e-12, atol=1e-12 * abs(value).max())


def test_gray_images_are_replicated_to_rgb(
    extractor: InceptionExtractor, images: dict[str, np.ndarray], expected: dict[str, np.ndarray]
) -> None:
    one_channel = images["mnist28"][:1, :1]  # the golden set is gray replicated to 3 channels
    out = extractor(one_channel)
    assert relative_error(out["features"], expected["mnist28/2048"][:1]) < 1e-4


def test_provenance_names_weights_hash_and_resize(golden_weights: str) -> None:
    bicubic = EXTRACTORS.get("inception-v3-fid")(
        weights=golden_weights, resize="pil-bicubic", device="cpu"
    )
    info = bicubic.provenance()
    assert info["resize"] == "pil-bicubic"
    assert info["weights_sha256"] == file_hash(golden_weights)
    assert info["official_weights"] is False
    assert set(bicubic.outputs) == {"features", "logits", "logits_unbiased", "64", "192", "768"}


def test_missing_weights_say_exactly_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(inception_weights.ENV_VAR, raising=False)
    with pytest.raises(GanforgeError) as info:
        EXTRACTORS.get("inception-v3-fid")()
    message = str(info.value)
    assert "ganforge weights fetch inception" in message
    assert inception_weights.ENV_VAR in message and inception_weights.URLS[0] in message


def test_environment_variable_points_at_weights(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, golden_weights: str
) -> None:
    monkeypatch.setenv(inception_weights.ENV_VAR, golden_weights)
    assert inception_weights.locate() == Path(golden_weights)
    monkeypatch.setenv(inception_weights.ENV_VAR, str(tmp_path / "nope.pth"))
    with pytest.raises(GanforgeError, match="GANFORGE_INCEPTION_WEIGHTS"):
        inception_weights.locate()


def test_a_foreign_state_dict_is_refused_with_the_differences(tmp_path: Path) -> None:
    state = FIDInceptionV3().state_dict()
    state["fc.weight"] = torch.zeros(1000, 2048)
    del state["Mixed_7c.branch_pool.bn.bias"]
    state["AuxLogits.fc.weight"] = torch.zeros(1)
    path = tmp_path / "foreign.pth"
    torch.save(state, path)
    layout = {k: tuple(v.shape) for k, v in FIDInceptionV3().state_dict().items()}
    with pytest.raises(GanforgeError) as info:
        inception_weights.load_state(path, layout)
    message = str(info.value)
    assert "missing: Mixed_7c.branch_pool.bn.bias" in message
    assert "unexpected: AuxLogits.fc.weight" in message and "bad shape: fc.weight" in message


def test_non_uint8_input_is_refused(extractor: InceptionExtractor) -> None:
    with pytest.raises(GanforgeError, match="uint8"):
        extractor(np.zeros((1, 3, 8, 8), dtype=np.float32))


# --- resize protocols -------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    h=st.integers(2, 12),
    w=st.integers(2, 12),
    factor=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_tf1_bilinear_samples_at_i_times_in_over_out(
    h: int, w: int, factor: int, seed: int
) -> None:
    x = torch.rand(1, 2, h, w, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    out = tf1_bilinear(x, (h * factor, w * factor))
    # output pixel factor*i sits exactly on input pixel i (no half-pixel offset) ...
    torch.testing.assert_close(out[..., ::factor, ::factor], x)
    # ... the last rows/columns clamp to the border instead of wrapping or extrapolating
    assert torch.equal(out[..., -1, -1], x[..., -1, -1])
    # ... and a point in between is the linear blend of its two neighbours
    if factor > 1 and w > 1:
        blend = x[..., 0, 0] + (x[..., 0, 1] - x[..., 0, 0]) / factor
        torch.testing.assert_close(out[..., 0, 1], blend)


def test_tf1_bilinear_matches_a_direct_formula_on_a_non_square_image() -> None:
    x = torch.arange(12.0, dtype=torch.float64).reshape(1, 1, 3, 4)
    out = tf1_bilinear(x, (5, 7))
    for i in range(5):
        for j in range(7):
            sy, sx = i * 3 / 5, j * 4 / 7
            y0, x0 = int(sy), int(sx)
            y1, x1 = min(y0 + 1, 2), min(x0 + 1, 3)
            top = x[0, 0, y0, x0] + (x[0, 0, y0, x1] - x[0, 0, y0, x0]) * (sx - x0)
            bottom = x[0, 0, y1, x0] + (x[0, 0, y1, x1] - x[0, 0, y1, x0]) * (sx - x0)
            assert out[0, 0, i, j].item() == pytest.approx(float(top + (bottom - top) * (sy - y0)))


def test_pil_bicubic_keeps_float_precision_and_clips() -> None:
    edge = np.zeros((1, 1, 8, 8), dtype=np.uint8)
    edge[..., 4:] = 255
    out = pil_bicubic(torch.from_numpy(edge), (20, 20))
    assert out.dtype == torch.float32 and out.shape == (1, 1, 20, 20)
    assert out.min() >= 0.0 and out.max() <= 255.0  # bicubic overshoot is clipped
    assert not torch.equal(out, out.round())  # no rounding back to uint8 (the "clean" protocol)
    same = pil_bicubic(torch.from_numpy(edge), (8, 8))
    assert torch.equal(same, torch.from_numpy(edge).float())
