"""What the gallery shows, worked out in Python: values in human units, a page's cards,
pictures as JSON, their links, and what every template can use.

Times are rendered as UTC ISO 8601 in `<time datetime>`; the browser rewrites them
in the viewer's own zone, so the server never guesses where the viewer is.

Cards and JSON are built here once per picture, so the templates only place
strings: building each card's links with `url_for` and its texts with template
filters cost more than the queries behind the page (measured in docs/benchmarks.md).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, url_for

from picat.schema import Image
from picat.schema.query import render_command

# Values in human units (also the templates' filters, `FILTERS` below).


def iso_utc(timestamp: float) -> str:
    """`2026-11-26T06:15:00Z`, the machine-readable time the browser localises."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds").replace(
        "+00:00", "Z"
    )


def utc_text(timestamp: float) -> str:
    """The fallback text shown before (or without) JavaScript."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def lux(value: float | None) -> str:
    if value is None:
        return "no lux"
    if value >= 100:
        return f"{value:,.0f} lx"
    return f"{value:.1f} lx" if value >= 1 else f"{value:.2f} lx"


def exposure(microseconds: int | None) -> str:
    """`1/120 s (8,333 µs)`; photographers read shutter speeds as fractions."""
    if microseconds is None:
        return ""
    if microseconds <= 0:
        return f"{microseconds} µs"
    seconds = microseconds / 1_000_000
    shutter = f"1/{round(1 / seconds):,} s" if seconds < 0.5 else f"{seconds:.2g} s"
    return f"{shutter} ({microseconds:,} µs)"


def gain(value: float | None) -> str:
    """`x1.50 (ISO ≈ 150)`: analogue gain 1.0 is roughly ISO 100 on Pi sensors."""
    if value is None:
        return ""
    return f"\N{MULTIPLICATION SIGN}{value:.2f} (ISO ≈ {round(value * 100)})"


def kelvin(value: int | None) -> str:
    return "" if value is None else f"{value:,} K"


def dioptres(value: float | None) -> str:
    """Lens position in dioptres, with the focus distance it means (1/dioptres metres)."""
    if value is None:
        return ""
    if value <= 0 or math.isclose(value, 0):
        return f"{value:.2f} dioptres (infinity)"
    distance = 1 / value
    shown = f"{distance * 100:.0f} cm" if distance < 1 else f"{distance:.1f} m"
    return f"{value:.2f} dioptres (focus ≈ {shown})"


def time_of_day(seconds: int | None) -> str:
    """Seconds after local midnight as `06:15`."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours:02d}:{rest // 60:02d}"


def utc_offset(seconds: int | None) -> str:
    if seconds is None:
        return ""
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    return f"UTC{sign}{hours:02d}:{rest // 60:02d}"


def duration(seconds: float) -> str:
    """Roughly how long: `3 days`, `5 hours`, `12 minutes`."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def expiry(expires_at: float | None, now: float) -> str:
    """What a card says about retention: `expires in 3 days`, or `kept` when it never will."""
    if expires_at is None:
        return "kept"
    left = expires_at - now
    return f"expires in {duration(left)}" if left > 0 else "expiring now"


FILTERS = {
    "iso_utc": iso_utc,
    "utc_text": utc_text,
    "lux": lux,
    "exposure": exposure,
    "gain": gain,
    "kelvin": kelvin,
    "dioptres": dioptres,
    "time_of_day": time_of_day,
    "utc_offset": utc_offset,
    "duration": duration,
}

# Links.

PLACEHOLDER = "IMAGE_ID"


def image_link(endpoint: str) -> Callable[[str], str]:
    """`image_id -> url_for(endpoint, image_id=image_id)`, from one `url_for` call.

    `url_for` walks the URL map on every call (15 µs or so); 24 cards with two links
    each, or an API page with four, spent more on that than on the queries behind the
    page. Image ids are ULIDs or digits, which never need quoting, so the URL of one
    picture is the URL built for a placeholder with the id in its place.
    """
    before, _, after = url_for(endpoint, image_id=PLACEHOLDER).rpartition(PLACEHOLDER)
    return lambda image_id: f"{before}{image_id}{after}"


def with_query(url: str, query: str) -> str:
    """`url?query`, or just `url` when there is no query."""
    return f"{url}?{query}" if query else url


# A page of pictures: as gallery cards, and as JSON.


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
            taken_iso=iso_utc(image.timestamp),
            taken=utc_text(image.timestamp),
            lux=lux(image.lux),
            expiry=expiry(image.expires_at, now),
            expires=None if image.expires_at is None else utc_text(image.expires_at),
        )
        for image in images
    ]


PRIVATE_FIELDS = ("blob_store", "blob_key")
"""Where an original is stored (a folder, a bucket) is the server's business."""


def images_json(images: Iterable[Image], query: str = "") -> list[dict[str, Any]]:
    """The API's shape of each picture: every stored field but `PRIVATE_FIELDS`, plus the
    URLs a client needs to show it; `query` (filters) is kept on the page links."""
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


# What every template can use.

HTMX_CONFIG = json.dumps(
    {
        # No injected <style>: the Content-Security-Policy allows no inline styles.
        "includeIndicatorStyles": False,
        "allowEval": False,
        "allowScriptTags": False,
        "selfRequestsOnly": True,
        "historyCacheSize": 10,
        # A 400 carries the message to show next to a filter, a 503 says Redis is away:
        # both are swapped in like any answer; other errors leave the page as it is.
        "responseHandling": [
            {"code": "204", "swap": False},
            {"code": "[23]..", "swap": True},
            {"code": "^(400|503)$", "swap": True},
            {"code": "[45]..", "swap": False, "error": True},
        ],
    },
    separators=(",", ":"),
)


def install(app: Flask) -> None:
    """The human-unit filters, the redis-cli rendering and the htmx config for templates."""
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals["render_command"] = render_command
    app.jinja_env.globals["with_query"] = with_query
    app.jinja_env.globals["htmx_config"] = HTMX_CONFIG
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
