"""One headless Chromium per module for the gallery's browser tests.

The app, its client and the pictures come from tests/conftest.py and tests/factories.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..conftest import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per test module (starting one costs about a second on 2 cores)."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
