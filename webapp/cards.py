"""What a gallery card shows, worked out in Python once per picture.

The card template then only places strings: building each card's links with
`url_for` and its texts with template filters cost more than the queries behind
the page (measured in docs/benchmarks.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from picat.schema import Image

from . import present
from .links import image_link
from .templating import with_query


@dataclass(frozen=True, slots=True)
class Card:
    id: str
    href: str
    """The picture's page, keeping the gallery's filters for its previous/next links."""
    thumbnail: str
    camera: str | None
    taken_iso: str
    taken: str
    lux: str
    expiry: str
    expires: str | None
    """When it expires, as text; None when it is kept forever."""


def cards(images: Iterable[Image], query: str) -> list[Card]:
    """The cards of a page; `query` is the view's query string, kept on each link."""
    page = image_link("picture.show")
    thumbnail = image_link("images.thumbnail")
    now = time.time()
    return [
        Card(
            id=image.pk,
            href=with_query(page(image.pk), query),
            thumbnail=thumbnail(image.pk),
            camera=image.camera,
            taken_iso=present.iso_utc(image.timestamp),
            taken=present.utc_text(image.timestamp),
            lux=present.lux(image.lux),
            expiry=present.expiry(image.expires_at, now),
            expires=None if image.expires_at is None else present.utc_text(image.expires_at),
        )
        for image in images
    ]
