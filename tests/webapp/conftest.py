"""The gallery's own fixtures: one headless Chromium per module for the browser tests, and
an authenticated gallery with its credentials.

The app, its client and the pictures come from tests/conftest.py and tests/factories.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import flask
import pytest

from picat.embedded import free_port
from picat.passwords import hash_password
from picat.schema import Catalogue
from picat.webapp.auth import Auth

from ..conftest import CHROMIUM, CHROMIUM_ARGS
from ..factories import make_app
from .credentials import PASSWORD, READONLY_PASSWORD, TOKEN


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


@pytest.fixture(scope="session")
def auth() -> Auth:
    return Auth(hash_password(PASSWORD), hash_password(READONLY_PASSWORD), TOKEN)


@pytest.fixture
def secure_app(redis_url: str, catalogue: Catalogue, auth: Auth) -> flask.Flask:
    return make_app(redis_url, catalogue, auth_settings=auth)


def free_port_url() -> str:
    """A Redis URL where nothing listens: Redis is down."""
    return f"redis://127.0.0.1:{free_port()}/0"
