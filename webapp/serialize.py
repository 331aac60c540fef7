"""Pictures as JSON: every stored field, plus the URLs a client needs to show each one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from picat.schema import Image

from .links import image_link
from .present import iso_utc
from .templating import with_query

PRIVATE_FIELDS = ("blob_store", "blob_key")
"""Where an original is stored (a folder, a bucket) is the server's business."""


def images_json(images: Iterable[Image], query: str = "") -> list[dict[str, Any]]:
    """The API's shape of each picture; `query` (filters) is kept on the page links."""
    page = image_link("picture.show")
    thumbnail = image_link("images.thumbnail")
    full = image_link("images.full_image")
    download = image_link("images.download")
    return [
        {
            "id": image.pk,
            **{name: getattr(image, name) for name in Image.METADATA_FIELDS
               if name not in PRIVATE_FIELDS},
            "time": iso_utc(image.timestamp),
            "kept": image.expires_at is None,
            "thumbnail_url": thumbnail(image.pk),
            "image_url": full(image.pk),
            "download_url": download(image.pk),
            "page_url": with_query(page(image.pk), query),
        }
        for image in images
    ]
