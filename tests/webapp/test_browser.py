"""The gallery in headless Chromium: filters, paging, picture view, back button, live banner.

Served by waitress in a thread, as `picat web` serves it; Chromium is Debian's
(`apt-get install chromium`), driven by Playwright without its own browser download.
"""

from __future__ import annotations

import pytest

from ..conftest import CHROMIUM

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]


@pytest.fixture
def page(live_url, browser):
    context = browser.new_context(viewport={"width": 1100, "height": 800}, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []

    def on_console(message) -> None:
        # A 400 is the gallery answering bad input as designed; anything else
        # (a CSP violation, an htmx error, a 500) is a problem.
        if message.type == "error" and "status of 400" not in message.text:
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.base_url = live_url
    yield page
    context.close()
    assert problems == [], problems


def _cards(page) -> int:
    return page.locator("#grid .card").count()


def test_filter_page_open_and_back_keeps_filter_and_scroll(page, add_picture):
    for i in range(40):
        add_picture(i * 60, lux=500.0 if i % 4 else 1.0)  # 30 bright, 10 dark
    page.goto(page.base_url + "/")
    page.wait_for_selector("#grid .card")
    assert page.input_value("input[name=tz]") == "Asia/Tokyo"
    assert _cards(page) == 24
    expect(page.locator("#count")).to_have_text("40 pictures")

    page.fill("input[name=lux_min]", "100")
    page.press("input[name=lux_min]", "Enter")
    page.wait_for_url("**/?lux_min=100")
    expect(page.locator("#grid .card")).to_have_count(24)
    expect(page.locator("#count")).to_have_text("30 pictures match")
    assert "10 lx" not in page.locator("#grid").inner_text()

    page.locator("#grid .more a").scroll_into_view_if_needed()  # "revealed" loads page two
    expect(page.locator("#grid .card")).to_have_count(30)
    page.wait_for_selector("#grid .more.end")
    target = page.locator("#grid .card").nth(27)
    target.scroll_into_view_if_needed()
    scroll = page.evaluate("window.scrollY")
    assert scroll > 500
    picture_id = target.get_attribute("id").removeprefix("card-")

    target.locator("a.thumb").click()
    page.wait_for_url(f"**/images/{picture_id}?lux_min=100")
    page.wait_for_function("() => document.querySelector('.picture .full img')?.complete")
    assert page.evaluate("document.querySelector('.full img').naturalWidth") == 64
    assert "500 lx" in page.locator(".details").inner_text()

    page.go_back()
    page.wait_for_url("**/?lux_min=100")
    page.wait_for_selector("#grid .card")
    assert page.input_value("input[name=lux_min]") == "100"
    assert _cards(page) == 30
    assert abs(page.evaluate("window.scrollY") - scroll) < 5
    assert page.locator(f"#card-{picture_id}").is_visible()

    page.go_back()  # one more step back: the unfiltered gallery
    page.wait_for_url(page.base_url + "/")
    assert page.input_value("input[name=lux_min]") == ""
    expect(page.locator("#count")).to_have_text("40 pictures")


def test_bad_input_shows_the_message_next_to_the_field(page, add_picture):
    add_picture()
    page.goto(page.base_url + "/")
    page.wait_for_selector("#grid .card")
    page.fill("input[name=lux_min]", "abc")
    page.press("input[name=lux_min]", "Enter")
    error = page.locator("#error-lux_min")
    error.wait_for(state="visible")
    assert "'abc' is not a number" in error.inner_text()
    assert _cards(page) == 0
    page.fill("input[name=lux_min]", "")
    page.press("input[name=lux_min]", "Enter")
    page.wait_for_selector("#grid .card")
    assert error.inner_text() == ""

    page.goto(page.base_url + "/?lux_min=5&lux_max=1")
    assert "below the minimum" in page.locator("#error-lux_max").inner_text()


def test_new_pictures_banner_appears_and_shows_them(page, add_picture):
    add_picture(0)
    page.goto(page.base_url + "/")
    page.wait_for_selector("#grid .card")
    fresh = add_picture(300, lux=777.0)
    banner = page.locator(".new-banner")
    banner.wait_for(state="visible", timeout=10_000)
    assert banner.inner_text() == "1 new picture: show"
    banner.click()
    page.wait_for_selector(f"#card-{fresh.pk}")
    assert page.locator("#grid .card").first.get_attribute("id") == f"card-{fresh.pk}"


def test_picture_keep_delete_and_arrow_keys(page, add_picture):
    older = add_picture(0, camera="feeder")
    newer = add_picture(60)
    page.goto(page.base_url + f"/images/{newer.pk}?camera=garden")
    expect(page.locator(".picture-nav a[rel=next]")).to_have_count(0)  # the filter holds
    page.goto(page.base_url + f"/images/{newer.pk}")
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**/images/{older.pk}")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(f"**/images/{newer.pk}")

    page.get_by_role("button", name="Keep forever").click()
    expect(page.locator(".flash")).to_have_text("Kept: this picture will never expire.")
    expect(page.locator(".details")).to_contain_text("never expires")

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(page.base_url + f"/images/{newer.pk}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(page.base_url + "/")
    expect(page.locator(".flash")).to_have_text("Picture deleted.")
    expect(page.locator("#grid .card")).to_have_count(1)
    assert page.locator("#grid .card").first.get_attribute("id") == f"card-{older.pk}"
