"""A real browser (headless Debian chromium via Playwright) clicks through each task."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .rate_helpers import chromium, folder_study, running


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def expect(locator):
    """Playwright's auto-retrying assertion (imported late: the browser fixture may skip)."""
    from playwright.sync_api import expect as _expect

    return _expect(locator)


def test_click_through_every_task_and_check_the_stored_rows(browser, tmp_path: Path) -> None:
    study = folder_study(tmp_path, feedback=True)
    with running(study, exposure_ms=200) as server:
        page = browser.new_page(viewport={"width": 900, "height": 620})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.goto(server.links()["rater"])
        assert page.url == server.base_url + "/"  # the token left the address bar
        counter = page.locator("#count")

        # compare two: a click on the left image, then the right arrow key
        page.wait_for_selector("#pair-left:enabled")
        shown = [page.get_attribute(f"#pair-{s} img", "src") for s in ("left", "right")]
        page.screenshot(path=str(tmp_path / "pair.png"))
        page.click("#pair-left")
        expect(counter).to_have_text("(1 judged)")
        page.wait_for_selector("#pair-right:enabled")
        shown2 = [page.get_attribute(f"#pair-{s} img", "src") for s in ("left", "right")]
        page.keyboard.press("ArrowRight")
        expect(counter).to_have_text("(2 judged)")

        # rate one: click 4, then press 2
        page.click("#tab-rating")
        page.wait_for_selector("#rate-4:enabled")
        page.click("#rate-4")
        expect(counter).to_have_text("(3 judged)")
        page.wait_for_selector("#rate-2:enabled")
        page.keyboard.press("2")
        expect(counter).to_have_text("(4 judged)")

        # real or fake: fixation, 200 ms exposure, mask, answer, feedback
        page.click("#tab-rapid")
        page.click("#rapid-start")
        page.wait_for_selector("#rapid-real:enabled")
        assert page.is_visible("#rapid-mask") and not page.is_visible("#rapid-image")
        page.click("#rapid-fake")
        expect(counter).to_have_text("(5 judged)")
        feedback = page.text_content("#rapid-feedback")
        assert re.fullmatch(r"(Correct|Wrong): it was (real|generated)\.", feedback or "")
        assert counter.text_content() == "(5 judged)"
        assert errors == []
        page.close()

    rows = study.store.judgements()
    assert [r.task for r in rows] == ["pair", "pair", "rating", "rating", "rapid"]
    assert len({r.rater_id for r in rows}) == 1
    pair1, pair2, rate1, rate2, rapid = rows
    assert [f"/img/{pair1.image_a}.png", f"/img/{pair1.image_b}.png"] == shown
    assert pair1.choice == pair1.image_a  # clicked left
    assert [f"/img/{pair2.image_a}.png", f"/img/{pair2.image_b}.png"] == shown2
    assert pair2.choice == pair2.image_b  # pressed the right arrow
    assert (rate1.rating, rate2.rating) == (4, 2)
    assert rapid.choice == "fake" and rapid.exposure_ms == 200
    assert 180 <= rapid.shown_ms <= 600  # measured on screen by requestAnimationFrame
    assert all(r.response_ms > 0 and r.answered_at >= r.issued_at for r in rows)
    feedback_truth = "real" if "it was real" in feedback else "fake"
    kinds = {
        im.id: m.kind
        for m in study.store.models()
        for im in study.store.images()
        if im.model_id == m.id
    }
    assert kinds[rapid.image_a] == ("real" if feedback_truth == "real" else "generated")
    assert (tmp_path / "pair.png").read_bytes()[:4] == b"\x89PNG"
    study.close()


def test_page_without_a_session_shows_the_refusal(browser, tmp_path: Path) -> None:
    study = folder_study(tmp_path)
    with running(study) as server:
        page = browser.new_page()
        response = page.goto(server.base_url + "/")
        assert response.status == 403 and "study link" in page.content()
        response = page.goto(server.base_url + "/join/wrong")
        assert response.status == 403
        page.close()
    study.close()
