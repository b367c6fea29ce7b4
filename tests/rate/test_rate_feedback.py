"""Feedback after rapid real/fake answers: off unless asked (it teaches raters), true when on."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from ganforge.rate import Study, open_study, prepare_study
from ganforge.rate.server import announcement

from .rate_helpers import Rater, folder_study, image_folder, running, start_server


def kind_of_image(study: Study) -> dict[str, str]:
    """'real' or 'fake' for every image of the study, from the store."""
    kinds = {m.id: m.kind for m in study.store.models()}
    return {
        im.id: "real" if kinds[im.model_id] == "real" else "fake" for im in study.store.images()
    }


def answer_rapid(rater: Rater, n: int) -> list[tuple[str, str, dict]]:
    """Answer ``n`` rapid trials, alternating 'real' and 'fake': (image, choice, reply)."""
    out = []
    for k in range(n):
        trial = rater.next("rapid")
        choice = ("real", "fake")[k % 2]
        status, reply = rater.answer(trial, choice=choice, shown_ms=500.0)
        assert status == 200, reply
        out.append((trial["images"][0]["id"], choice, reply))
    return out


def page_flag(rater: Rater) -> str:
    """The page's data-feedback attribute, which the script reads."""
    status, _, page = rater.request("GET", "/")
    match = re.search(rb'data-feedback="(\d)"', page)
    assert status == 200 and match
    return match.group(1).decode()


def test_rapid_answers_get_no_feedback_by_default(tmp_path: Path) -> None:
    study = folder_study(tmp_path)
    assert study.feedback is False
    assert json.loads((study.path / "study.json").read_text())["feedback"] is False
    with running(study) as server:
        rater = Rater(server.base_url)
        assert rater.join(study.rater_token) == 200
        assert page_flag(rater) == "0"
        answers = answer_rapid(rater, 4)
    assert [reply for _, _, reply in answers] == [
        {"recorded": True, "count": k} for k in range(1, 5)
    ]
    study.close()


def test_feedback_when_asked_says_whether_each_answer_was_right(tmp_path: Path) -> None:
    study = folder_study(tmp_path, feedback=True)
    truth = kind_of_image(study)
    with running(study) as server:
        rater = Rater(server.base_url)
        assert rater.join(study.rater_token) == 200
        assert page_flag(rater) == "1"
        answers = answer_rapid(rater, 8)
    for image, choice, reply in answers:
        assert reply["feedback"] == {"truth": truth[image], "correct": choice == truth[image]}
    told = {reply["feedback"]["truth"] for _, _, reply in answers}
    assert told == {"real", "fake"}  # both kinds were shown, so both answers were checked
    study.close()


def test_the_cli_switch_turns_it_on(tmp_path: Path) -> None:
    """`ganforge rate FOLDER --real REAL --feedback`: the study keeps it, raters are told."""
    a = image_folder(tmp_path / "a", 4, 1, smooth=False)
    real = image_folder(tmp_path / "real", 4, 3, smooth=True)
    out = tmp_path / "study"
    command = ["-m", "ganforge.cli", "rate", str(a), "--real", str(real), "--images", "4"]
    command += ["--study", str(out), "--port", "0", "--size", "16", "--feedback"]
    proc, base, token, printed = start_server([sys.executable, *command])
    try:
        while not any("real or fake" in line for line in printed):
            printed.append(proc.stdout.readline())
        rater = Rater(base)
        assert rater.join(token) == 200
        ((image, choice, reply),) = answer_rapid(rater, 1)
    finally:
        proc.terminate()
        proc.wait(30)
    line = next(line for line in printed if "real or fake" in line)
    assert line.strip() == "real or fake: shown 500 ms; feedback after each answer on"
    assert json.loads((out / "study.json").read_text())["feedback"] is True
    study = open_study(out)
    truth = kind_of_image(study)[image]
    assert reply["feedback"] == {"truth": truth, "correct": choice == truth}
    study.close()


def test_without_the_switch_the_cli_path_leaves_it_off(tmp_path: Path) -> None:
    """The CLI passes feedback=None without --feedback: a new study is created without it, and
    the server says how to turn it on."""
    a = image_folder(tmp_path / "a", 4, 1, smooth=False)
    real = image_folder(tmp_path / "real", 4, 3, smooth=True)
    study = prepare_study(
        [a],
        tmp_path / "study",
        real=str(real),
        n_images=4,
        size=16,
        feedback=None,
        announce=lambda _: None,
    )
    assert study.feedback is False
    with running(study) as server:
        lines = [line.strip() for line in announcement(server)]
    assert (
        "real or fake: shown 500 ms; feedback after each answer off (--feedback turns it on)"
        in lines
    )
    study.close()
