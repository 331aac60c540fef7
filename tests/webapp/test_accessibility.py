"""Accessibility in real Chromium: axe-core's rules on every kind of page, and the keyboard.

axe-core comes from the `axe-playwright-python` wheel (axe-core 4.12.1, MPL-2.0);
it runs inside the page, so it sees the page as served, after htmx has loaded its
parts. A serious or critical violation fails the test; what axe reports as moderate
or minor is printed, not failed.
"""

from __future__ import annotations

import pytest

from picat.passwords import hash_password
from picat.webapp.auth import Auth

from ..conftest import served
from ..factories import make_app

pytestmark = pytest.mark.browser
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

FAILING = ("serious", "critical")


def _settle(page) -> None:
    for _ in range(2):
        page.wait_for_timeout(100)
        page.wait_for_function("() => !document.querySelector('.htmx-request')", polling=20)


def _violations(page) -> list[str]:
    found = axe_sync.Axe().run(page).response["violations"]
    for v in found:
        if v["impact"] not in FAILING:
            print(f"axe ({v['impact']}): {v['id']} on {page.url}")
    return [
        f"{v['impact']} {v['id']}: {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in found
        if v["impact"] in FAILING
    ]


def _tab_to(page, target, most: int, key: str = "Tab") -> None:
    """Press `key` until `target` has the focus, at most `most` times."""
    for _ in range(most):
        page.keyboard.press(key)
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{key} x{most} never reached {target}")


@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_axe_finds_nothing_serious(browser, live_url, add_picture, size):
    pictures = [add_picture(i * 900, lux=float(i * 50), camera="garden") for i in range(12)]
    add_picture(20_000, lux=3.0, camera="feeder")
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = {}
    paths = ["/", f"/images/{pictures[5].pk}"]  # the gallery with its charts, a picture
    if size[0] > 700:  # the others do not change on a phone but for the stylesheet
        paths += ["/?lux_min=100&sort=oldest", "/?lux_min=abc", "/images/nope", "/timelapse/new"]
    for path in paths:
        page.goto(live_url + path)
        _settle(page)
        for toggle in page.locator("[data-toggle]").all():  # on a phone: unfold both panels
            if toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false":
                toggle.click()
        _settle(page)
        if path == "/":
            page.wait_for_selector("#timeline svg")
        problems[path] = _violations(page)
    context.close()
    assert all(found == [] for found in problems.values()), problems


def test_axe_on_the_login_page(browser, redis_url, catalogue):
    app = make_app(
        redis_url, catalogue, auth_settings=Auth(hash_password("a long enough password")),
        testing=False,
    )
    with served(app) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/")  # sent to the login form
        page.wait_for_selector("input[type=password]")
        found = _violations(page)
        page.fill("input[type=password]", "wrong")
        page.press("input[type=password]", "Enter")
        page.wait_for_selector(".field-error")
        found += _violations(page)
        context.close()
    assert found == []


def test_keyboard_selects_acts_and_pages(browser, live_url, add_picture):
    pictures = [add_picture(i * 60) for i in range(3)]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(live_url + "/")
    _settle(page)
    newest = pictures[-1]
    box = page.locator(f"#card-{newest.pk} input[name=id]")
    _tab_to(page, page.locator(".results .skip-link"), 100)  # past the filters
    page.keyboard.press("Enter")  # past the charts' bars and cells
    _tab_to(page, box, 10)
    page.keyboard.press("Space")
    assert box.is_checked()
    assert page.locator("[data-selected-count]").inner_text() == "1 picture selected"
    keep = page.get_by_role("button", name="Keep forever")
    _tab_to(page, keep, 10, "Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash")
    assert "Kept 1 picture more" in page.locator(".flash").inner_text()

    link = page.locator(f"#card-{newest.pk} a.thumb")
    _tab_to(page, page.locator(".results .skip-link"), 100)
    page.keyboard.press("Enter")
    _tab_to(page, link, 10)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/images/{newest.pk}")
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**/images/{pictures[1].pk}")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(f"**/images/{newest.pk}")
    context.close()
