"""Turning an id from a URL into a stored picture, or a 404 that says why."""

from __future__ import annotations

from flask import abort

from picat.schema import Image, is_valid_image_id, store

from .context import gallery


def image_or_404(image_id: str) -> Image:
    """The picture's metadata; the id is checked before any key is built from it."""
    if not is_valid_image_id(image_id):
        abort(404, f"{image_id[:40]!r} is not a picture id.")
    app = gallery()
    image = store.load(app.redis, image_id, app.catalogue)
    if image is None:
        abort(404, f"There is no picture {image_id} (it may have expired or been deleted).")
    return image
