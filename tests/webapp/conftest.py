"""Fixtures for the gallery: an app on the test catalogue and pictures written through `save`."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator

import flask
import pytest
import redis
from PIL import Image as PILImage

from picat.schema import Catalogue, Image, new_image_id, store
from picat.schema.clock import local_time_fields
from picat.webapp import create_app

from ..conftest import CHROMIUM, CHROMIUM_ARGS

BASE_TIME = float(int(time.time()) - 86400)  # yesterday: realistic for the slab scanner


def jpeg(colour: tuple[int, int, int] = (90, 140, 200), size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, colour).save(out, "JPEG", quality=70)
    return out.getvalue()


@pytest.fixture
def app(redis_url: str, catalogue: Catalogue) -> flask.Flask:
    return create_app(redis_url, catalogue=catalogue, secret_key=b"test-secret", TESTING=True)


@pytest.fixture
def client(app: flask.Flask) -> flask.testing.FlaskClient:
    return app.test_client()


AddPicture = Callable[..., Image]


@pytest.fixture
def add_picture(r: redis.Redis, catalogue: Catalogue) -> AddPicture:
    """Save a small JPEG picture; keyword arguments override its metadata."""

    def add(
        offset: float = 0.0, *, thumbnail: bool = True, data: bytes | None = None, **fields: object
    ) -> Image:
        image_id = str(fields.pop("pk", "")) or new_image_id(BASE_TIME + offset)
        timestamp = BASE_TIME + offset
        time_of_day, utc_offset = local_time_fields(timestamp, None)
        values: dict[str, object] = {
            "timestamp": timestamp,
            "lux": 100.0,
            "camera": "garden",
            "trigger": "interval",
            "width": 64,
            "height": 48,
            "time_of_day": time_of_day,
            "utc_offset": utc_offset,
            "expires_at": timestamp + 10 * 365 * 86400,
        }
        values.update(fields)
        image = Image(pk=image_id, **values)
        body = data if data is not None else jpeg()
        store.save(r, image, body, jpeg(size=(32, 24)) if thumbnail else None, catalogue)
        return image

    return add


@pytest.fixture
def add_seed_picture(r: redis.Redis, catalogue: Catalogue) -> Callable[..., str]:
    """A hash as the seed project wrote it: `image:<unix seconds>`, four fields, no thumbnail."""

    def add(seconds: int, data: bytes | None = None, mime_type: str = "image/jpeg") -> str:
        r.hset(
            catalogue.prefix + str(seconds),
            mapping={
                "image_data": data if data is not None else jpeg((200, 120, 40), (320, 240)),
                "timestamp": str(seconds),
                "lux": "12.5",
                "mime_type": mime_type,
            },
        )
        return str(seconds)

    return add


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
