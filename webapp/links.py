"""Per-picture URLs for a whole page of pictures, each route looked up once per page.

`url_for` walks the URL map on every call (15 µs or so); 24 cards with two links
each, or an API page with four, spent more on that than on the queries behind the
page. Image ids are ULIDs or digits, which never need quoting, so the URL of one
picture is the URL built for a placeholder with the id in its place.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import url_for

PLACEHOLDER = "IMAGE_ID"


def image_link(endpoint: str) -> Callable[[str], str]:
    """`image_id -> url_for(endpoint, image_id=image_id)`, from one `url_for` call."""
    before, _, after = url_for(endpoint, image_id=PLACEHOLDER).rpartition(PLACEHOLDER)
    return lambda image_id: f"{before}{image_id}{after}"
