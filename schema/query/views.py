"""The questions the gallery asks: a page, a count, neighbours, and how many are new.

A cursor is the position a page ended at, readable as Datasette's `_next`: the
last picture's sort values and its id, comma-separated (`1795605017.43,01JG...`
newest or oldest first; `512,1795605017.43,01JG...` by lux, `none,...` once the
pictures without lux are reached). It is not signed: it holds no state that steers
a query (no widths, no learned starts), and any well-formed position is a fair place
to start a view, so an edited cursor just starts elsewhere. It is validated strictly:
numbers in the one spelling we write, a valid image id, the shape of the view's order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import redis

from .. import store
from ..catalogue import DEFAULT_CATALOGUE, Catalogue
from ..ids import InvalidImageId, is_valid_image_id
from ..model import Image
from .errors import QueryError
from .filters import MAX_LIMIT, Filters, Sort
from .ftsearch import count_argv, run_search, search_argv
from .paging import ORDERS, Pager, Position, Row, Segment, reversed_order
from .ranges import Range, format_number
from .text import LUX, TIMESTAMP, Constraints

_NUMBER = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,20})?")
_NO_LUX = "none"
_MAX_CURSOR = 120


@dataclass
class Page:
    images: list[Image]
    next_cursor: str | None
    commands: list[list[str]]
    """Every command this page ran, in order, ready for `render_command`."""
    view_command: list[str]
    """The view as one short FT.SEARCH a person would type: its first page."""
    sent: int
    """Commands this page sent to Redis: one call may run several of `commands`."""


def encode_cursor(position: Position, segments: tuple[Segment, ...]) -> str:
    values = [format_number(v) for v in position.values]
    if len(segments) > 1 and position.segment == 1:
        values.insert(0, _NO_LUX)
    return ",".join([*values, position.pk])


def decode_cursor(text: str, segments: tuple[Segment, ...]) -> Position:
    """The position in `text`, or QueryError("cursor", ...) if it is not one of this order."""
    parts = text.split(",") if len(text) <= _MAX_CURSOR else []
    segment = 1 if len(segments) > 1 and parts[:1] == [_NO_LUX] else 0
    values, pk = parts[segment:-1], parts[-1] if parts else ""
    if (
        len(values) != len(segments[segment].keys)
        or not all(_NUMBER.fullmatch(v) and format_number(float(v)) == v for v in values)
        or not is_valid_image_id(pk)
    ):
        shape = ",".join([*(name for name, _ in segments[0].keys), "id"])
        raise QueryError(
            "cursor", f"this is not a position in this order ({shape}): load the first page again"
        )
    return Position(segment, tuple(float(v) for v in values), pk)


def _view_command(catalogue: Catalogue, filters: Filters, sort: Sort, limit: int) -> list[str]:
    name, down = ORDERS[sort][0].keys[0]
    text = Constraints.from_filters(filters).text()
    argv = search_argv(catalogue.index, text, sort_field=name, descending=down, limit=limit)
    return [*argv[:3], "RETURN", "3", TIMESTAMP, LUX, "camera", *argv[4:]]


def search(
    r: redis.Redis, filters: Filters, sort: Sort, limit: int, cursor: str | None, *,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Page:
    """One page of the view after `cursor` (the first page if None)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"use 1 to {MAX_LIMIT}")
    segments = ORDERS[sort]
    position = decode_cursor(cursor, segments) if cursor else None
    pager = Pager(r, catalogue, filters.camera or "")
    found = _readable(pager, segments, Constraints.from_filters(filters), position, limit + 1)
    next_cursor = None
    if len(found) > limit:
        segment, last = found[limit - 1]
        next_cursor = encode_cursor(
            Position(segment, segments[segment].values(last), last.pk), segments
        )
    return Page(
        [row.image() for _, row in found[:limit]], next_cursor, pager.commands,
        _view_command(catalogue, filters, sort, limit), pager.sent,
    )


def _readable(
    pager: Pager, segments: tuple[Segment, ...], base: Constraints, position: Position | None,
    need: int,
) -> list[tuple[int, Row]]:
    """Up to `need` rows that are pictures; keys that are not image ids are stepped past."""
    found: list[tuple[int, Row]] = []
    while True:
        want = need - len(found)
        got = pager.after(segments, base, position, want)
        found += [(segment, row) for segment, row in got if row.found]
        if len(got) < want or len(found) >= need:
            return found
        segment, last = got[-1]
        position = Position(segment, segments[segment].values(last), last.pk)


def count(
    r: redis.Redis, filters: Filters, *, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> tuple[int, list[str]]:
    """How many pictures match, exactly, and the command that counted them."""
    argv = count_argv(catalogue.index, Constraints.from_filters(filters).text())
    return int(run_search(r, argv)[0]), argv


def count_newer(
    r: redis.Redis, filters: Filters, since: float, *, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> int:
    """Pictures matching `filters` taken after `since`: the "N new pictures" banner."""
    c = Constraints.from_filters(filters).narrow(TIMESTAMP, Range(since, lo_open=True))
    return int(run_search(r, count_argv(catalogue.index, c.text()))[0]) if c.can_match() else 0


def _next_id(
    r: redis.Redis, image: Image, segments: tuple[Segment, ...], filters: Filters,
    catalogue: Catalogue,
) -> str | None:
    segment = next(  # the first segment the picture belongs to
        i for i, s in enumerate(segments)
        if (getattr(image, s.missing) is None if s.missing
            else all(getattr(image, name) is not None for name, _ in s.keys))
    )
    row = Row(image.pk, image.timestamp, image.lux)
    position = Position(segment, segments[segment].values(row), image.pk)
    found = _readable(Pager(r, catalogue, filters.camera or ""), segments,
                      Constraints.from_filters(filters), position, 1)
    return found[0][1].pk if found else None


def neighbours(
    r: redis.Redis, image_id: str, filters: Filters, sort: Sort, *,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> tuple[str | None, str | None]:
    """(previous id, next id) around a picture in the view's order; (None, None) if it is gone."""
    try:
        image = store.load(r, image_id, catalogue)
    except InvalidImageId as exc:
        raise QueryError("id", str(exc)) from None
    if image is None:
        return None, None
    segments = ORDERS[sort]
    return (
        _next_id(r, image, reversed_order(segments), filters, catalogue),
        _next_id(r, image, segments, filters, catalogue),
    )


