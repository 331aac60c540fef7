"""What every view needs from the app: one Redis client and the catalogue, and a picture
looked up by the id in its URL."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from flask import abort, current_app

from picat.schema import Catalogue, Image, is_valid_image_id, store

EXTENSION = "picat"


@dataclass(frozen=True)
class Backend:
    redis: redis.Redis
    catalogue: Catalogue


def backend() -> Backend:
    """The `Backend` of the app handling the current request."""
    return current_app.extensions[EXTENSION]


def image_or_404(image_id: str) -> Image:
    """The picture's metadata, or a 404 that says why; the id is checked before any key
    is built from it."""
    if not is_valid_image_id(image_id):
        abort(404, f"{image_id[:40]!r} is not a picture id.")
    db = backend()
    image = store.load(db.redis, image_id, db.catalogue)
    if image is None:
        abort(404, f"There is no picture {image_id} (it may have expired or been deleted).")
    return image
