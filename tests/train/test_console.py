"""The training console: plain lines when redirected, a bar on a terminal, one line per
evaluation, and the end-of-run summary naming each score's feature extractor."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from ganforge.train.console import Progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_redirected_training_writes_a_line_per_log_interval_and_each_evaluation(
    tmp_path: Path,
) -> None:
    log = tmp_path / "out.txt"
    sets = ["train.threads=1", "train.steps=60", "train.log_every=20", "eval.every=30",
            "eval.n_samples=200", "eval.metrics=[fid]", "data.size=16", "model.g_width=8",
            "model.d_width=8"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with log.open("w") as out:
        done = subprocess.run(
            [sys.executable, "-m", "ganforge", "train", "--runs-dir", str(tmp_path), "--name",
             "r", *[a for s in sets for a in ("--set", s)]],
            stdout=out, stderr=subprocess.STDOUT, env=env, timeout=300,
        )  # fmt: skip
    text = log.read_text()
    assert done.returncode == 0, text
    assert "\r" not in text  # no carriage-return redraws in a file
    lines = text.splitlines()
    assert [ln.split(" (")[0] for ln in lines if ln.startswith("r: step")] == [
        "r: step 20/60",
        "r: step 40/60",
        "r: step 60/60",
    ]
    evals = [ln for ln in lines if " eval: " in ln]
    assert len(evals) == 2 and evals[0].startswith("step 30 eval: fid=")
    assert evals[0].endswith("(digits-classifier features)")
    assert any(ln.startswith("  fid: ") and ln.endswith("(digits-classifier features)")
               for ln in lines)  # fmt: skip
    assert len(lines) < 30


def test_on_a_terminal_the_bar_draws_and_evaluations_print_above_it() -> None:
    screen = FakeTerminal()
    progress = Progress(10, 0, "run", enabled=True, stream=screen)
    progress.update(5)
    progress.say("step 5 eval: fid=3")
    progress.interval({"g_loss": 1.0})
    progress.close()
    shown = screen.getvalue()
    assert "\r" in shown and "step 5 eval: fid=3\n" in shown and "g_loss=1" in shown


def test_a_disabled_console_writes_nothing() -> None:
    stream = io.StringIO()
    progress = Progress(10, 0, "run", enabled=False, stream=stream)
    progress.update(10)
    progress.interval({"g_loss": 1.0})
    progress.say("step 10 eval: fid=3")
    progress.close()
    assert stream.getvalue() == ""
