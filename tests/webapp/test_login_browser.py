"""Logging in, a read-only session and logging out in headless Chromium, under the CSP.

Served by waitress as `picat web` serves it; any console error (a CSP violation
included) fails the test.
"""

from __future__ import annotations

import pytest

from ..conftest import CHROMIUM, CHROMIUM_ARGS
from .credentials import PASSWORD, READONLY_PASSWORD

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning"),
]


@pytest.fixture
def app(secure_app):
    """This module's gallery asks for a login; `live_url` serves it."""
    return secure_app


def test_login_read_only_and_logout(live_url, add_picture):
    image = add_picture()
    problems: list[str] = []
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.set_default_timeout(10_000)
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda error: problems.append(str(error)))

        page.goto(f"{live_url}/images/{image.pk}")
        page.wait_for_url("**/login?next=*")
        page.fill("input[name=password]", "not the password")
        page.click("button[type=submit]")
        expect(page.locator("[role=alert]")).to_contain_text("not right")
        problems[:] = [p for p in problems if "401" not in p]  # the refused login itself

        page.fill("input[name=password]", READONLY_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"**/images/{image.pk}")
        expect(page.locator(".full img")).to_be_visible()
        expect(page.locator("button", has_text="Delete")).to_have_count(0)

        page.locator("form.logout button").click()
        page.wait_for_url("**/login")
        page.goto(f"{live_url}/")
        page.wait_for_url("**/login?next=*")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#grid .card")
        page.goto(f"{live_url}/images/{image.pk}")
        page.on("dialog", lambda dialog: dialog.accept())
        page.click("button.danger")
        page.wait_for_selector(".flash")
        expect(page.locator(".flash")).to_contain_text("Picture deleted")
        browser.close()
    assert problems == [], problems
