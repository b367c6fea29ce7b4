"""evaluate / select / stats / metrics from the command line, and metrics during training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ganforge import api

from ..conftest import run_cli

TINY_DIGITS = [
    "data.size=8",
    "model.g_width=8",
    "model.d_width=8",
    "train.steps=6",
    "train.batch_size=16",
    "train.sample_every=0",
    "train.checkpoint_every=3",
    "train.log_every=3",
    "train.threads=1",
    "eval.every=3",
    "eval.n_samples=120",
    "eval.metrics=[fid,pr,kid:subsets=2:subset_size=50,classes]",
]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    result = api.train("dcgan-digits", TINY_DIGITS, runs_root=root, name="tiny", progress=False)
    return result.run.path


def test_training_logs_metrics_and_the_real_floor(digits_run: Path) -> None:
    records = [json.loads(line) for line in (digits_run / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [3, 6]
    assert {"fid", "precision", "recall", "kid", "classes", "class_kl"} <= set(evals[-1])
    floors = json.loads((digits_run / "floors.json").read_text())
    assert set(floors) == {"fid", "precision", "recall", "kid", "classes", "class_kl"}
    assert floors["classes"] == 10 and floors["class_kl"] < 0.1
    assert floors["fid"] < evals[-1]["fid"]  # held-out real data is closer than a 6-step GAN
    report = (digits_run / "report.html").read_text()
    assert "metrics.png" in report and "(real vs real)" in report


def test_evaluate_command_writes_json_with_provenance(digits_run: Path, tmp_path, capsys) -> None:
    out = tmp_path / "eval.json"
    code, stdout, _ = run_cli(
        capsys,
        "evaluate",
        str(digits_run),
        "--metrics",
        "fid,dc,is:splits=2,nn,duplicates:batch=50:repeats=2",
        "--n",
        "80",
        "--json",
        str(out),
        "--floors",
        "--bootstrap",
        "3",
    )
    assert code == 0, stdout
    assert "fid" in stdout and "real vs real" in stdout and "note:" not in stdout
    assert "figure (nn): " in stdout and "-nearest-generated.png" in stdout
    doc = json.loads(out.read_text())
    assert doc["step"] == 6 and set(doc["values"]) >= {"fid", "density", "coverage", "dup_rate"}
    fid = doc["results"][0]
    prov = fid["provenance"]
    assert prov["n_fake"] == 80 and prov["real"]["source"] == "digits" and prov["seed"] == 0
    assert prov["extractor"]["extractor"] == "digits-classifier" and prov["ganforge"]
    assert prov["extractor"]["accuracy"] >= 0.97  # the classifier's held-out accuracy
    assert doc["values"]["is"] >= 1.0 and "is_std" in doc["results"][2]["extra"]
    assert fid["extra"]["n_real"] == prov["n_real"] and len(fid["ci"]["fid"]) == 2
    figures = {r["metric"]: r["extra"].get("figure") for r in doc["results"]}
    assert Path(figures["nn"]).is_file() and Path(figures["duplicates"]).is_file()
    nn_extra = next(r["extra"] for r in doc["results"] if r["metric"] == "nn")
    assert Path(nn_extra["figure_real_to_generated"]).is_file() and nn_extra["space"] == "pixels"
    assert doc["floors"]["fid"] < doc["values"]["fid"]


def test_each_evaluate_call_writes_its_own_results_file(digits_run: Path, capsys) -> None:
    folder = digits_run / "eval"
    before = set(folder.glob("step-0000006*.json")) if folder.is_dir() else set()
    written = []
    for metrics in ("fid", "kid:subsets=2:subset_size=30"):
        code, stdout, err = run_cli(
            capsys, "evaluate", str(digits_run), "--metrics", metrics, "--n", "60"
        )
        assert code == 0, err
        written.append(Path(stdout.strip().splitlines()[-1].split("results: ")[1]))
    assert written[0] != written[1] and not {*written} & before  # a second call keeps the first
    assert {p.name for p in written} <= {p.name for p in folder.glob("step-0000006*.json")}
    first, second = (json.loads(p.read_text())["values"] for p in written)
    assert set(first) == {"fid"} and set(second) == {"kid"}
    code, _, err = run_cli(capsys, "evaluate", str(digits_run), "--metrics", "kid:subsets=x")
    assert code == 2  # a refused call leaves no (empty) results file behind
    assert all(p.stat().st_size > 0 for p in folder.glob("step-*.json"))


def test_select_command_copies_the_best_checkpoint(digits_run: Path, capsys) -> None:
    code, stdout, _ = run_cli(capsys, "select", str(digits_run), "--metric", "recall", "--n", "60")
    assert code == 0, stdout
    doc = json.loads((digits_run / "select-recall.json").read_text())
    steps = [s for s, _ in doc["scores"]]
    assert steps == [3, 6] and doc["better"] == "higher"
    assert doc["best_value"] == max(v for _, v in doc["scores"])
    best = digits_run / "checkpoints" / "best-recall.pt"
    assert best.is_file() and (digits_run / "select-recall.png").is_file()
    assert (
        best.read_bytes()
        == (digits_run / "checkpoints" / f"step-{doc['best_step']:07d}.pt").read_bytes()
    )


def test_stats_command_and_stats_file_as_real_side(digits_run: Path, tmp_path, capsys) -> None:
    stats = tmp_path / "digits8.npz"
    code, stdout, _ = run_cli(capsys, "stats", "digits:size=8", "--out", str(stats))
    assert code == 0 and "1797 samples" in stdout and "128-d" in stdout
    with np.load(stats) as data:
        assert {"mu", "sigma", "count", "provenance"} <= set(data.files)
    code, stdout, _ = run_cli(
        capsys, "evaluate", str(digits_run), "--metrics", "fid", "--real", str(stats), "--n", "60"
    )
    assert code == 0 and "fid" in stdout
    code, _, err = run_cli(
        capsys, "evaluate", str(digits_run), "--metrics", "fid,kid", "--real", str(stats)
    )
    assert code == 2 and "statistics file" in err and "Traceback" not in err


def test_user_errors_exit_2_with_one_line(digits_run: Path, capsys) -> None:
    code, _, err = run_cli(
        capsys, "evaluate", str(digits_run), "--metrics", "is", "--extractor", "pixels"
    )
    assert code == 2 and "needs logits" in err
    code, _, err = run_cli(capsys, "select", str(digits_run), "--metric", "nn_dist")
    assert code == 2 and "no better direction" in err
    code, _, err = run_cli(capsys, "evaluate", str(digits_run), "--metrics", "kid:subsets=x")
    assert code == 2 and "kid.subsets" in err


def test_metrics_listing(capsys) -> None:
    code, stdout, _ = run_cli(capsys, "metrics")
    names = [line.split()[0] for line in stdout.splitlines()]
    assert code == 0 and {"fid", "is", "kid", "pr", "dc", "modes", "classes", "nn"} <= set(names)


def test_toy_run_evaluates_mode_coverage(tmp_path) -> None:
    sets = [
        "data.name=ring",
        "data.n=2000",
        "model.name=mlp",
        "train.steps=4",
        "train.batch_size=32",
        "train.sample_every=0",
        "train.threads=1",
        "eval.n_samples=200",
        "eval.metrics=[modes,pr,mmd]",
    ]
    result = api.train("dcgan-digits", sets, runs_root=tmp_path, name="ring", progress=False)
    assert {"modes", "hq_fraction", "mode_kl", "precision", "mmd"} <= set(result.final_metrics)
    floors = json.loads((result.run.path / "floors.json").read_text())
    assert floors["modes"] == 8 and floors["hq_fraction"] > 0.95  # two real samples: all modes
