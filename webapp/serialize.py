"""A picture as JSON: every stored field, plus the URLs a client needs to show it."""

from __future__ import annotations

from typing import Any

from flask import url_for

from picat.schema import Image

from .present import iso_utc


def image_json(image: Image, query: str = "") -> dict[str, Any]:
    """The API's shape of one picture; `query` (filters) is kept on the page link."""
    fields = {name: getattr(image, name) for name in Image.METADATA_FIELDS}
    page_url = url_for("picture.show", image_id=image.pk)
    return {
        "id": image.pk,
        **fields,
        "time": iso_utc(image.timestamp),
        "kept": image.expires_at is None,
        "thumbnail_url": url_for("images.thumbnail", image_id=image.pk),
        "image_url": url_for("images.full_image", image_id=image.pk),
        "download_url": url_for("images.download", image_id=image.pk),
        "page_url": f"{page_url}?{query}" if query else page_url,
    }
