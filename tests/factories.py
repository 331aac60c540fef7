"""The one way tests make a JPEG, a picture and a gallery app.

- `jpeg()`: real JPEG bytes (a plain colour, or noise that does not compress), with
  Exif tags when a test needs them; deterministic, so a test can compare served bytes
  with `jpeg(...)` made again.
- `picture(timestamp, **fields)`: the `Image` taken at `timestamp`, its id made the way
  capture makes one (`new_image_id`); nothing else is filled in, so a test states every
  field it relies on. The `add_picture` fixture (tests/conftest.py) saves one with a
  gallery's usual fields; `save_seed_picture` writes a hash as the seed project did.
- `make_app(redis_url, ...)`: the gallery from the application factory, with a fixed
  secret key and `TESTING` on (errors propagate to the test) unless `testing=False`,
  for tests that check the error pages production shows.

Where capture itself is under test, pictures come from a camera (`SimulatedCamera`,
the picamera2 stand-in) instead. Bulk datasets for benchmarks live with the benchmarks.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable
from typing import Any

import flask
import redis
from PIL import ExifTags
from PIL import Image as PILImage

from picat.schema import Catalogue, Image, new_image_id
from picat.webapp import create_app

BLUE = (90, 140, 200)
SECRET_KEY = b"test-secret"
BASE_TIME = float(int(time.time()) - 86400)
"""Yesterday, to the second: where `add_picture` puts pictures (realistic for the slab scanner)."""
AddPicture = Callable[..., Image]
"""The `add_picture` fixture: `add(offset=0.0, *, thumbnail=True, data=None, **fields)`."""


def jpeg(
    colour: tuple[int, int, int] = BLUE,
    size: tuple[int, int] = (64, 48),
    *,
    quality: int = 70,
    noise: int | None = None,
    orientation: int | None = None,
    **exif: object,
) -> bytes:
    """A JPEG of one `colour`, or of random pixels from the seed `noise` (incompressible).

    `exif` sets tags of the Exif directory by their `ExifTags.Base` name (for example
    `DateTimeOriginal="2024:05:01 12:00:00"`); `orientation` sets the main directory's
    Orientation. Without either, the file has no Exif segment.
    """
    if noise is None:
        image = PILImage.new("RGB", size, colour)
    else:
        rng = random.Random(noise)
        image = PILImage.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    options: dict[str, Any] = {"quality": quality}
    if exif or orientation:
        tags = PILImage.Exif()
        if orientation:
            tags[ExifTags.Base.Orientation] = orientation
        details = tags.get_ifd(ExifTags.IFD.Exif)
        for name, value in exif.items():
            details[ExifTags.Base[name]] = value
        options["exif"] = tags
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def picture(timestamp: float | None = None, **fields: Any) -> Image:
    """The picture taken at `timestamp` (now by default); `fields` set the rest, `pk` too."""
    taken = time.time() if timestamp is None else timestamp
    pk = fields.pop("pk", None) or new_image_id(taken)
    return Image(pk=pk, timestamp=taken, **fields)


def save_seed_picture(
    r: redis.Redis | redis.client.Pipeline,
    catalogue: Catalogue,
    seconds: int,
    *,
    lux: float = 12.5,
    data: bytes | None = None,
    mime_type: str = "image/jpeg",
) -> str:
    """A hash as the seed project wrote it: `image:<unix seconds>`, four fields; its id."""
    r.hset(
        catalogue.key(str(seconds)),
        mapping={
            "image_data": data if data is not None else jpeg((200, 120, 40), (320, 240)),
            "timestamp": str(seconds),
            "lux": str(lux),
            "mime_type": mime_type,
        },
    )
    return str(seconds)


def make_app(
    redis_url: str,
    catalogue: Catalogue | None = None,
    *,
    testing: bool = True,
    **options: Any,
) -> flask.Flask:
    """The gallery on `catalogue` (the product's own by default).

    `options` go to `create_app` (`auth_settings`, `host`, Flask settings such as
    `PICAT_TIMELAPSE_DIR`); `secret_key` defaults to a fixed one.
    """
    options.setdefault("secret_key", SECRET_KEY)
    if catalogue is not None:
        options["catalogue"] = catalogue
    if testing:
        options["TESTING"] = True
    return create_app(redis_url, **options)
