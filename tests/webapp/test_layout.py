"""The gallery's layout at a phone's 390x844 and a desktop's 1280x900, in real Chromium.

With `PICAT_SCREENSHOTS=<folder>` the tests also save what they saw there;
`scripts/screenshots` refreshes docs/screenshots/ that way.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from picat.capture.service import build_capture
from picat.capture.simulated import SimulatedCamera
from picat.schema import Image, store

from ..factories import BASE_TIME

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

SHOTS = os.environ.get("PICAT_SCREENSHOTS")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TAP = 44  # px: the smallest comfortable tap target
CONTROLS = (
    "button, .button, select, input[type=text], input[type=time], input[type=datetime-local], "
    ".topnav a, .buckets a, .pick, .bulk-all, .bulk-kept, .checkline, .json-link, .query summary"
)


@pytest.fixture
def pictures(r, catalogue) -> list[Image]:
    """A day and a half of a simulated camera up to yesterday's lunch, every hour."""
    lunch = BASE_TIME // 86400 * 86400 + 13 * 3600
    moment = {"now": lunch}
    camera = SimulatedCamera((480, 360), 240, 75, seed=3, clock=lambda: moment["now"])
    made = []
    for i in range(36):
        moment["now"] = lunch - (35 - i) * 3600
        shot = build_capture(camera.capture(), "garden", "interval", 30 * 86400)
        store.save(r, shot.image, shot.image_data, shot.thumbnail, catalogue)
        made.append(shot.image)
    return made


def _open(browser, size: dict[str, int]):
    phone = size["width"] < 600
    context = browser.new_context(
        viewport=size, is_mobile=phone, has_touch=phone, timezone_id="Europe/London"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name), type="jpeg", quality=80)


def _small_controls(page) -> list[str]:
    """Visible controls lower than a comfortable tap target."""
    return page.evaluate(
        """([selector, tap]) => Array.from(document.querySelectorAll(selector))
            .filter(el => el.getClientRects().length)
            .filter(el => el.getBoundingClientRect().height < tap - 0.5)
            .map(el => el.outerHTML.slice(0, 80))""",
        [CONTROLS, TAP],
    )


def _no_sideways_scrolling(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_phone_gallery_shows_pictures_first_and_folds_the_filters(browser, live_url, pictures):
    page = _open(browser, PHONE)
    page.goto(live_url + "/?lux_min=0&camera=garden")
    page.wait_for_selector("#grid .card img")
    page.wait_for_load_state("networkidle")
    first = page.locator("#grid .card .thumb img").first.bounding_box()
    assert first["y"] + first["height"] <= PHONE["height"], first  # wholly on the first screen
    assert page.locator("#filters").is_hidden() and page.locator("#charts").is_hidden()
    toggle = page.locator("[aria-controls=filters]")
    assert toggle.inner_text().split() == ["Filters", "2"]
    _no_sideways_scrolling(page)
    assert _small_controls(page) == []
    _shot(page, "gallery-390x844.jpg")

    toggle.tap()
    assert page.locator("#filters").is_visible() and toggle.get_attribute("aria-expanded") == "true"
    page.fill("input[name=lux_max]", "5000")
    assert toggle.inner_text().split() == ["Filters", "3"]  # counted as typed
    _no_sideways_scrolling(page)
    assert _small_controls(page) == []
    _shot(page, "gallery-390x844-filters.jpg")
    page.press("input[name=lux_max]", "Enter")
    page.wait_for_url("**lux_max=5000*")
    assert page.locator("#filters").is_visible()  # still open after the results changed

    page.locator("[aria-controls=charts]").tap()
    page.wait_for_selector("#timeline svg")
    assert page.locator("#charts").is_visible()
    _no_sideways_scrolling(page)
    assert _small_controls(page) == []
    page.context.close()


def test_phone_picture_page_fits_the_width(browser, live_url, pictures):
    page = _open(browser, PHONE)
    page.goto(live_url + f"/images/{pictures[20].pk}")
    page.wait_for_selector(".full img")
    page.wait_for_function("() => document.querySelector('.full img').complete")
    picture = page.locator(".full img").bounding_box()
    assert picture["y"] + picture["height"] <= PHONE["height"]
    assert picture["width"] <= PHONE["width"]
    _no_sideways_scrolling(page)
    assert _small_controls(page) == []
    _shot(page, "picture-390x844.jpg")
    page.context.close()


def test_desktop_shows_filters_and_charts_without_buttons(browser, live_url, pictures):
    page = _open(browser, DESKTOP)
    page.goto(live_url + "/")
    page.wait_for_selector("#timeline svg")
    page.wait_for_selector("#profile svg")
    page.wait_for_load_state("networkidle")
    assert page.locator("#filters").is_visible() and page.locator("#charts").is_visible()
    assert page.locator(".panel-toggles").is_hidden()
    assert page.locator("#grid .card").first.bounding_box()["y"] < DESKTOP["height"]
    _no_sideways_scrolling(page)
    _shot(page, "gallery-1280x900.jpg")
    page.goto(live_url + f"/images/{pictures[20].pk}")
    page.wait_for_function("() => document.querySelector('.full img').complete")
    _no_sideways_scrolling(page)
    _shot(page, "picture-1280x900.jpg")
    page.context.close()


def test_without_javascript_the_filters_are_simply_there(browser, live_url, add_picture):
    add_picture()
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_url + "/")
    assert page.locator("#filters").is_visible()
    assert page.locator(".panel-toggles").is_hidden()
    context.close()


def test_the_query_disclosure_copies_its_commands(browser, live_url, add_picture):
    add_picture(lux=50.0)
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(live_url + "/?lux_min=5")
    page.locator("details.query summary").click()
    button = page.locator("details.query [data-copy]").first
    button.click()
    expect(button).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator(button.get_attribute("data-copy")).inner_text().strip()
    assert "FT.SEARCH" in copied or "FCALL_RO" in copied
    expect(button).to_have_text("Copy", timeout=5000)
    context.close()


def _chart_text(page) -> dict[str, object]:
    """The smallest rendered size of the charts' text, and any two labels that overlap."""
    return page.evaluate(
        """() => {
          const all = document.querySelectorAll("#timeline svg text, #profile svg text");
          const texts = Array.from(all);
          const sizes = texts.map(t => parseFloat(getComputedStyle(t).fontSize)
                                       * t.ownerSVGElement.getScreenCTM().a);
          const boxes = texts.map(t => [t.getBoundingClientRect(), t.textContent]);
          const overlaps = [];
          boxes.forEach(([a, ta], i) => boxes.slice(i + 1).forEach(([b, tb]) => {
            if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1
                && b.top < a.bottom - 1) overlaps.push(ta + " / " + tb);
          }));
          return {count: texts.length, smallest: Math.min(...sizes), overlaps,
                  swatches: document.querySelectorAll("#profile .legend rect").length};
        }"""
    )


def test_chart_text_is_at_least_11_px_and_the_heat_map_has_a_scale(browser, live_url, pictures):
    for width in (390, 800, 1280, 1920):
        page = _open(browser, {"width": width, "height": 900})
        page.goto(live_url + "/")
        if width < 700:
            page.locator("[aria-controls=charts]").tap()
        page.wait_for_selector("#timeline svg")
        page.wait_for_selector("#profile svg")
        page.wait_for_timeout(400)  # a redraw at the box's width, if any, has been asked for
        page.wait_for_function("() => !document.querySelector('.htmx-request')", polling=20)
        found = _chart_text(page)
        assert found["count"] > 20, width
        assert found["smallest"] >= 10.99, (width, found)
        assert found["overlaps"] == [], (width, found)
        assert found["swatches"] >= 9, width  # eight steps of the scale, the grey of "no lux"
        _no_sideways_scrolling(page)
        if SHOTS and width in (390, 1280):
            page.locator("#charts").screenshot(
                path=os.path.join(SHOTS, f"charts-{width}.jpg"), type="jpeg", quality=85
            )
        page.context.close()
