"""Regenerate the screenshots in docs/images/ of `ganforge rate`'s pages (headless chromium).

    .venv/bin/python docs/rate_screenshots.py RUN_A RUN_B --real digits

The results page is filled by scripted raters (a fixed preference plus noise), not by people;
it shows the layout, not a finding.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from rate_helpers import Rater, chromium, running

from ganforge.rate import Limits, Study, create_study
from ganforge.rate.security import Limit


def scripted_answers(study: Study, base: str, raters: int = 3, answers: int = 45) -> None:
    """Raters who prefer later-listed models 70% of the time and spot fakes 65% of the time."""
    models = {m.id: m for m in study.store.models()}
    model_of = {im.id: models[im.model_id] for im in study.store.images()}
    for k in range(raters):
        rng = random.Random(k)
        rater = Rater(base)
        rater.join(study.rater_token)
        for i in range(answers):
            task = ("pair", "rating", "rapid")[i % 3]
            trial = rater.next(task)
            shown = [model_of[im["id"]] for im in trial["images"]]
            if task == "pair":
                better = int(shown[1].position > shown[0].position)
                pick = better if rng.random() < 0.7 else 1 - better
                rater.answer(trial, choice=trial["images"][pick]["id"])
            elif task == "rating":
                rating = 1 + shown[0].position + rng.choice([-1, 0, 0, 1])
                rater.answer(trial, rating=min(5, max(1, rating)))
            else:
                truth = "real" if shown[0].kind == "real" else "fake"
                wrong = "fake" if truth == "real" else "real"
                guess = truth if rng.random() < 0.65 else wrong
                rater.answer(trial, choice=guess, shown_ms=500.0)


def shrink(path: Path) -> None:
    """Palette PNG: a few tens of kB per screenshot."""
    with Image.open(path) as im:
        im.convert("RGB").quantize(64).save(path, optimize=True)


def main() -> None:
    """Build a study from the given runs, click through it and save the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+")
    parser.add_argument("--real", default="digits")
    parser.add_argument("--out", default=str(Path(__file__).parent / "images"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        study = create_study(args.sources, Path(tmp) / "study", real=args.real, n_images=32)
        free = Limit(rate=1e6, burst=1e6)
        with running(study, limits=Limits(api=free, join=free, requests=free)) as server:
            scripted_answers(study, server.base_url)
            with chromium() as browser:
                page = browser.new_page(viewport={"width": 760, "height": 520})
                page.goto(server.links()["rater"])
                page.wait_for_selector("#pair-left:enabled")
                page.screenshot(path=str(out / "rate-pair.png"))
                page.click("#tab-rating")
                page.wait_for_selector("#rate-3:enabled")
                page.screenshot(path=str(out / "rate-rating.png"))
                page.click("#tab-rapid")
                page.click("#rapid-start")
                page.wait_for_selector("#rapid-real:enabled")
                page.click("#rapid-fake")
                page.wait_for_selector("#rapid-start:enabled")
                page.click("#rapid-start")
                page.wait_for_selector("#rapid-real:enabled")
                page.screenshot(path=str(out / "rate-rapid.png"))
                page.set_viewport_size({"width": 900, "height": 700})
                page.goto(server.links()["admin"])
                page.screenshot(path=str(out / "rate-results.png"), full_page=True)
        study.close()
    for name in ("rate-pair", "rate-rating", "rate-rapid", "rate-results"):
        shrink(out / f"{name}.png")
        print(out / f"{name}.png")


if __name__ == "__main__":
    main()
