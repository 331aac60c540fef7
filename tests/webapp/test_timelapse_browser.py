"""A timelapse in headless Chromium: from a filtered gallery to a video that plays."""

from __future__ import annotations

import pytest

from ..conftest import CHROMIUM, CHROMIUM_ARGS
from ..factories import jpeg, make_app

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]

FPS = 10
BRIGHT = 30


@pytest.fixture
def app(redis_url, catalogue, tmp_path, forget_jobs):
    """The gallery with timelapses on, served (`live_url`) as in production."""
    return make_app(redis_url, catalogue, PICAT_TIMELAPSE_DIR=tmp_path / "videos", testing=False)


def test_start_from_a_filtered_gallery_watch_progress_and_play(live_url, add_picture):
    for i in range(45):  # 30 bright, 15 dark: the filter keeps the bright ones
        bright = i % 3 != 0
        add_picture(i * 60, lux=500.0 if bright else 1.0, data=jpeg((5 * i, 80, 160), (320, 240)))
    problems: list[str] = []
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.set_default_timeout(20_000)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))

        page.goto(live_url + "/")
        page.fill("input[name=lux_min]", "100")
        page.press("input[name=lux_min]", "Enter")
        page.wait_for_url("**/?lux_min=100")
        expect(page.locator("#count")).to_have_text(f"{BRIGHT} pictures match")
        page.click("[data-timelapse]")

        expect(page.locator("#timelapse-plan")).to_contain_text(f"{BRIGHT} frames")
        page.fill("input[name=at]", "12:30")  # typing a time of day chooses "one a day"
        assert page.is_checked("input[name=pick][value=daily]")
        page.check("input[name=pick][value=every]")
        page.fill("input[name=fps]", str(FPS))
        page.select_option("select[name=size]", "720p")
        page.check("input[name=caption]")
        expect(page.locator("#timelapse-plan")).to_contain_text(f"at {FPS} frames a second")
        page.click("[data-start-timelapse]")

        page.wait_for_url("**/timelapses/*")
        expect(page.locator("[data-percent]")).to_have_text("100 %", timeout=60_000)
        expect(page.locator("#timelapse-progress progress")).to_have_attribute("value", "100")
        video = page.locator("#timelapse-progress video")
        video.wait_for()
        page.wait_for_function(
            "document.querySelector('#timelapse-progress video').readyState >= 1"
        )
        duration = video.evaluate("v => v.duration")
        assert abs(duration - BRIGHT / FPS) <= 1 / FPS, duration
        played = video.evaluate("v => { v.muted = true; return v.play().then(() => 'ok') }")
        assert played == "ok"
        page.wait_for_function(
            "document.querySelector('#timelapse-progress video').currentTime > 0"
        )
        browser.close()
    assert problems == [], problems
