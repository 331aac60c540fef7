"""An authenticated gallery on the test catalogue and its credentials.

Pictures to curate come from the `add_picture` fixture of tests/conftest.py.
"""

from __future__ import annotations

import flask
import pytest

from picat.embedded import free_port
from picat.passwords import hash_password
from picat.schema import Catalogue
from picat.webapp.auth import Auth

from ..factories import make_app
from .helpers import PASSWORD, READONLY_PASSWORD, TOKEN


@pytest.fixture(scope="session")
def auth() -> Auth:
    return Auth(hash_password(PASSWORD), hash_password(READONLY_PASSWORD), TOKEN)


@pytest.fixture
def secure_app(redis_url: str, catalogue: Catalogue, auth: Auth) -> flask.Flask:
    return make_app(redis_url, catalogue, auth_settings=auth)


def free_port_url() -> str:
    """A Redis URL where nothing listens: Redis is down."""
    return f"redis://127.0.0.1:{free_port()}/0"
