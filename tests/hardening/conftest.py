"""An authenticated gallery on the test catalogue, its credentials, and pictures to curate."""

from __future__ import annotations

import time
from collections.abc import Callable

import flask
import pytest
import redis

from picat.embedded import free_port
from picat.passwords import hash_password
from picat.schema import Catalogue, Image, new_image_id, store
from picat.webapp import create_app
from picat.webapp.auth import Auth

from .helpers import PASSWORD, READONLY_PASSWORD, TOKEN, small_jpeg


@pytest.fixture(scope="session")
def auth() -> Auth:
    return Auth(hash_password(PASSWORD), hash_password(READONLY_PASSWORD), TOKEN)


@pytest.fixture
def secure_app(redis_url: str, catalogue: Catalogue, auth: Auth) -> flask.Flask:
    return create_app(
        redis_url, catalogue=catalogue, secret_key=b"test-secret", auth_settings=auth,
        TESTING=True,
    )


@pytest.fixture
def add_picture(r: redis.Redis, catalogue: Catalogue) -> Callable[..., Image]:
    """Save a small picture that expires in an hour; keyword arguments override fields."""

    def add(offset: float = 0.0, **fields: object) -> Image:
        timestamp = time.time() - 3600 + offset
        values: dict[str, object] = {
            "timestamp": timestamp, "lux": 100.0, "camera": "garden", "trigger": "interval",
            "width": 32, "height": 24, "time_of_day": int(timestamp % 86400), "utc_offset": 0,
            "expires_at": timestamp + 7200,
        }
        values.update(fields)
        image = Image(pk=new_image_id(timestamp), **values)
        store.save(r, image, small_jpeg(), small_jpeg((16, 12)), catalogue)
        return image

    return add


def free_port_url() -> str:
    """A Redis URL where nothing listens: Redis is down."""
    return f"redis://127.0.0.1:{free_port()}/0"
