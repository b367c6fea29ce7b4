"""Pix2Pix and CycleGAN from the CLI: short runs, previews, held-out scores, translate, resume."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from ganforge import api, runs, translation
from ganforge.checkpoints import load_checkpoint
from ganforge.data import build_dataset
from ganforge.data.translation import TranslationDataset
from ganforge.errors import ConfigError, GanforgeError
from ganforge.metrics.judges.two_domain import DomainClassifier
from ganforge.metrics.runner.translation import unpaired_scores
from ganforge.models.base import Translator

from ..conftest import run_cli

TINY = ["train.threads=1", "train.progress=false", "data.size=16"]
PIX2PIX = [
    *TINY,
    "model.g_width=4",
    "model.d_width=4",
    "model.patch_layers=2",
    "train.batch_size=4",
]
CYCLEGAN = [*PIX2PIX[:-1], "model.g_depth=1", "train.batch_size=2"]


@pytest.fixture(scope="module")
def pix2pix_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    sets = [*PIX2PIX, "train.steps=4", "train.sample_every=2", "train.checkpoint_every=2"]
    sets.append("eval.every=2")
    return api.train("pix2pix-edges", sets, runs_root=root, name="p2p").run.path


@pytest.fixture(scope="module")
def cyclegan_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    sets = [*CYCLEGAN, "train.steps=3", "train.sample_every=3"]
    return api.train("cyclegan-strokes", sets, runs_root=root, name="cyc").run.path


def test_pix2pix_run_writes_previews_and_held_out_scores(pix2pix_run: Path) -> None:
    assert (pix2pix_run / "samples" / "step-0000002.png").is_file()
    grid = Image.open(pix2pix_run / "samples" / "step-0000004.png")
    assert grid.width < grid.height  # 3 columns (input, output, target) by 8 rows
    records = [
        json.loads(line) for line in (pix2pix_run / "metrics.jsonl").read_text().splitlines()
    ]
    evals = [r for r in records if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [2, 4] and records[-1] is evals[-1]  # eval.every, end
    for key in ("l1", "psnr", "ssim", "l1_identity", "psnr_identity", "ssim_identity"):
        assert all(isinstance(r[key], float) for r in evals)
    assert "<th>ssim_identity</th>" in (pix2pix_run / "report.html").read_text()
    state = load_checkpoint(pix2pix_run / "checkpoints" / "latest.pt")
    assert set(state["recipe"]["models"]) == {"g", "d"}


def test_cyclegan_run_reports_domain_rates_and_cycle_error(cyclegan_run: Path) -> None:
    record = json.loads((cyclegan_run / "metrics.jsonl").read_text().splitlines()[-1])
    for key in ("target_rate_ab", "target_rate_ab_identity", "cycle_l1_a", "cycle_l1_b"):
        assert 0.0 <= record[key] <= 1.0
    assert record["target_rate_ab_real"] > 0.9  # the classifier knows the domains
    assert record["target_rate_ab_identity"] < 0.1
    for direction in ("ab", "ba"):  # FID in the classifier's features: real vs real is far closer
        assert 0 <= record[f"fid_{direction}_real"] < record[f"fid_{direction}_identity"]
        assert (
            record[f"fid_{direction}"] < record[f"fid_{direction}_identity"]
        )  # the README's claim
    state = load_checkpoint(cyclegan_run / "checkpoints" / "latest.pt")
    assert set(state["recipe"]["models"]) == {"g_ab", "g_ba", "d_a", "d_b"}
    assert len(state["recipe"]["extra"]["pool_b"]["images"]) == 6  # 3 steps x batch 2


class Unchanged(Translator):
    """The do-nothing translator: what the identity baseline scores."""

    def __init__(self) -> None:
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def test_the_identity_baseline_is_what_a_do_nothing_translator_scores() -> None:
    held = build_dataset("digit-strokes", {"size": 16, "split": "test", "jitter": False})
    assert isinstance(held, TranslationDataset)
    torch.manual_seed(0)  # any classifier will do: the baseline is defined by the inputs alone
    scores = unpaired_scores(Unchanged(), Unchanged(), held, DomainClassifier(1, width=4))
    for measure in ("target_rate_ab", "target_rate_ba", "fid_ab", "fid_ba"):
        assert scores[measure] == pytest.approx(scores[f"{measure}_identity"], abs=1e-9)
    assert scores["fid_ab"] > 0 and scores["cycle_l1_a"] == scores["cycle_l1_b"] == 0
    one = TranslationDataset(held.a[:1], held.b[:5], held.info, jitter=False)
    scores = unpaired_scores(Unchanged(), Unchanged(), one, DomainClassifier(1, width=4))
    assert "target_rate_ab" in scores and "fid_ab" not in scores  # no FID of a single image


def test_translate_writes_one_png_per_input_in_both_directions(
    cyclegan_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    Image.new("L", (20, 20), 255).save(tmp_path / "in" / "x.png")
    Image.new("RGB", (16, 16), (9, 9, 9)).save(tmp_path / "in" / "sub" / "y.jpg")
    (tmp_path / "in" / "bad.png").write_bytes(b"junk")
    for direction in ("AtoB", "BtoA"):
        out = tmp_path / direction
        args = ["translate", str(cyclegan_run), "--input", str(tmp_path / "in"), "--out", str(out)]
        code, stdout, stderr = run_cli(capsys, *args, "--direction", direction)
        assert code == 0 and "wrote 2 image(s)" in stdout and "bad.png" in stderr
        assert Image.open(out / "sub" / "y.png").size == (16, 16)
        assert (out / "x.png").is_file()


def test_translate_reads_a_large_folder_in_chunks(
    cyclegan_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []
    load = translation.scan_and_load

    def counting(files: list[Path], *args: object, **kwargs: object) -> object:
        sizes.append(len(files))
        return load(files, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(translation, "scan_and_load", counting)
    shades = torch.randint(0, 256, (70, 16, 16), generator=torch.Generator().manual_seed(0))
    for i, shade in enumerate(shades):
        Image.fromarray(shade.to(torch.uint8).numpy()).save(tmp_path / f"{i:02d}.png")
    result = api.translate(cyclegan_run, tmp_path, tmp_path / "out")
    assert sizes == [32, 32, 6] and len(result.written) == 70
    (tmp_path / "one").mkdir()
    (tmp_path / "45.png").rename(tmp_path / "one" / "45.png")
    api.translate(cyclegan_run, tmp_path / "one", tmp_path / "alone")
    together = np.asarray(Image.open(tmp_path / "out" / "45.png"))
    assert np.array_equal(together, np.asarray(Image.open(tmp_path / "alone" / "45.png")))


def test_translate_dropout_follows_the_seed_not_global_state(
    pix2pix_run: Path, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    for i in range(3):
        Image.new("L", (16, 16), 60 * i).save(tmp_path / "in" / f"{i}.png")

    def outputs(seed: int, global_seed: int) -> np.ndarray:
        torch.manual_seed(global_seed)
        out = tmp_path / f"out-{seed}-{global_seed}"
        written = api.translate(pix2pix_run, tmp_path / "in", out, seed=seed).written
        return np.stack([np.asarray(Image.open(path)) for path in sorted(written)])

    first = outputs(0, 1)
    assert np.array_equal(first, outputs(0, 2))  # test-time dropout: same seed, same images
    assert not np.array_equal(first, outputs(1, 1))


def test_pix2pix_has_one_direction_and_no_latent(
    pix2pix_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Image.new("L", (16, 16), 0).save(tmp_path / "x.png")
    args = ["translate", str(pix2pix_run), "--input", str(tmp_path), "--out", str(tmp_path / "o")]
    code, _, err = run_cli(capsys, *args, "--direction", "BtoA")
    assert code == 2 and "data.direction=BtoA" in err
    code, _, err = run_cli(capsys, "sample", str(pix2pix_run))
    assert code == 2 and "ganforge translate" in err


def test_a_pair_judging_patchgan_is_not_loaded_as_a_judge(pix2pix_run: Path) -> None:
    """Discriminator-judged measures (battle, tournament) load a GAN ``Discriminator`` (its
    declared ``pack``); Pix2Pix's PatchGAN judges (source, target) pairs and is refused."""
    with pytest.raises(GanforgeError, match="without a single GAN discriminator"):
        runs.load_discriminator(pix2pix_run)


def test_translate_eval_prints_model_and_identity(
    pix2pix_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "translate-eval", str(pix2pix_run))
    assert code == 0
    header, *rows = out.strip().splitlines()
    assert header.split() == ["measure", "model", "identity", "real"]
    assert [r.split()[0] for r in rows] == ["l1", "psnr", "ssim", "sharp_diff"]
    saved = json.loads((pix2pix_run / "translation-eval-step4.json").read_text())
    final = json.loads((pix2pix_run / "metrics.jsonl").read_text().splitlines()[-1])
    assert saved["ssim_identity"] == pytest.approx(final["ssim_identity"])
    assert saved["ssim"] == pytest.approx(final["ssim"])  # same checkpoint, same seed


def test_translation_table_puts_the_references_beside_each_measure() -> None:
    scores = {
        "target_rate_ab": 1.0,
        "target_rate_ab_identity": 0.0,
        "target_rate_ab_real": 0.99721,
        "cycle_l1_a": 0.03334,
        "fid_ab": 42.40017,
        "fid_ab_identity": 3690.31843,
    }
    assert api.translation_table(scores) == [
        ("target_rate_ab", "1.0000", "0.0000", "0.9972"),
        ("cycle_l1_a", "0.0333", "", ""),
        ("fid_ab", "42.4002", "3690.3184", ""),
    ]


TRANSLATION_ERROR = (
    "error: this is an image-to-image translation run: use `ganforge translate-eval RUN`\n"
)


@pytest.mark.parametrize(
    "command", [["evaluate"], ["evaluate", "--extractor", "pixels"], ["select"]]
)
def test_sample_metrics_on_translation_runs_point_to_translate_eval(
    pix2pix_run: Path, cyclegan_run: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    for run in (pix2pix_run, cyclegan_run):  # auto extractor (plan) and explicit (real side)
        code, out, err = run_cli(capsys, command[0], str(run), *command[1:])
        assert (code, out, err) == (2, "", TRANSLATION_ERROR)


def test_eval_metrics_are_refused_for_translation_runs(tmp_path: Path) -> None:
    sets = [*PIX2PIX, "train.steps=1", "eval.metrics=[fid]"]
    with pytest.raises(ConfigError, match=r"eval\.metrics does not apply to translation runs"):
        api.train("pix2pix-edges", sets, runs_root=tmp_path)


def test_cyclegan_resume_is_exact(tmp_path: Path) -> None:
    sets = [*CYCLEGAN, "train.sample_every=0", "train.checkpoint_every=2"]
    straight = api.train("cyclegan-strokes", [*sets, "train.steps=4"], runs_root=tmp_path)
    first = api.train("cyclegan-strokes", [*sets, "train.steps=2"], runs_root=tmp_path)
    resumed = api.train(resume=first.run.path, overrides=["train.steps=4"], runs_root=tmp_path)
    a = load_checkpoint(straight.checkpoint)["recipe"]
    b = load_checkpoint(resumed.checkpoint)["recipe"]
    for name in ("g_ab", "d_b"):
        for key, value in a["models"][name].items():
            assert torch.equal(value, b["models"][name][key]), (name, key)
    pool_a = torch.cat(a["extra"]["pool_a"]["images"])
    assert torch.equal(pool_a, torch.cat(b["extra"]["pool_a"]["images"]))
