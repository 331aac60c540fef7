"""What we are measured against: the seed project's two designs, and the floor.

Each function does what a seed-like server does for one gallery request, so its
time is the Redis round trips plus the Python work of that server:

- `scan_page` (the seed's first version): `SCAN MATCH image:*` with the default
  COUNT, keys sorted by name (the seed's `image:<unix seconds>` keys, like our
  ULIDs, sort in time order), then one pipelined `HMGET` of the metadata of the
  newest 24, returned as JSON. Fetching metadata for only the 24 shown is kinder
  to the baseline than fetching it for every key.
- `naive_page` (the seed's current version): `FT.SEARCH idx:images "*" SORTBY
  timestamp DESC LIMIT <offset> 24` returning the seed's metadata fields, parsed
  into dicts and returned as JSON. The grid then loads the full-size pictures,
  which the page-weight scenario counts.
- The floor: one `FT.SEARCH` returning the 24 ids of the very page we show (the
  filter narrowed to the page's own time span, `NOCONTENT`), and one `HGET` of a
  thumbnail. No web layer can answer with less than that.
"""

from __future__ import annotations

import json

import redis

from picat.schema import Catalogue, Image

SEED_FIELDS = ("timestamp", "lux", "mime_type")
PAGE = 24


def _text(value: bytes | None) -> str | None:
    return value.decode() if value is not None else None


def scan_page(r: redis.Redis, catalogue: Catalogue) -> str:
    keys = sorted(r.scan_iter(match=catalogue.prefix + "*"), reverse=True)[:PAGE]
    with r.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.hmget(key, SEED_FIELDS)
        rows = pipe.execute()
    return json.dumps(
        [
            {"key": key.decode(), **{f: _text(v) for f, v in zip(SEED_FIELDS, row, strict=True)}}
            for key, row in zip(keys, rows, strict=True)
        ]
    )


def naive_page(r: redis.Redis, catalogue: Catalogue, offset: int) -> str:
    reply = r.execute_command(
        "FT.SEARCH", catalogue.index, "*", "RETURN", str(len(SEED_FIELDS)), *SEED_FIELDS,
        "SORTBY", "timestamp", "DESC", "LIMIT", str(offset), str(PAGE),
    )
    pictures = []
    for key, fields in zip(reply[1::2], reply[2::2], strict=True):
        pairs = dict(zip(fields[::2], fields[1::2], strict=True))
        pictures.append({"key": key.decode(), **{k.decode(): _text(v) for k, v in pairs.items()}})
    return json.dumps(pictures)


SPAN_MARGIN = 0.01
"""Seconds added at both ends of a page's span: FT.SEARCH returns sortable values rounded
to 12 significant digits (1795696016.509 comes back as 1795696016.51)."""


def floor_query(filter_text: str, newest: float, oldest: float) -> str:
    """The filter narrowed to one page's span: the cheapest query that returns that page."""
    span = f"@timestamp:[{oldest - SPAN_MARGIN:.3f} {newest + SPAN_MARGIN:.3f}]"
    return f"{filter_text} {span}".strip() if filter_text != "*" else span


def floor_ids(r: redis.Redis, catalogue: Catalogue, query: str) -> list[bytes]:
    reply = r.execute_command(
        "FT.SEARCH", catalogue.index, query, "NOCONTENT", "SORTBY", "timestamp", "DESC",
        "LIMIT", "0", str(PAGE),
    )
    return reply[1:]


def floor_rows(r: redis.Redis, catalogue: Catalogue, query: str) -> list[bytes]:
    """The floor query returning the fields a card shows instead of ids only."""
    reply = r.execute_command(
        "FT.SEARCH", catalogue.index, query, "RETURN", str(len(Image.METADATA_FIELDS)),
        *Image.METADATA_FIELDS, "SORTBY", "timestamp", "DESC", "LIMIT", "0", str(PAGE),
    )
    return reply[1:]


def floor_count(r: redis.Redis, catalogue: Catalogue, query: str) -> int:
    return int(r.execute_command("FT.SEARCH", catalogue.index, query, "LIMIT", "0", "0")[0])


def floor_thumbnail(r: redis.Redis, key: str) -> bytes | None:
    return r.hget(key, "thumbnail")
