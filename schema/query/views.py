"""The questions the gallery asks: a page, a count, neighbours, and how many are new."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from .. import store
from ..catalogue import DEFAULT_CATALOGUE, Catalogue
from ..ids import InvalidImageId
from ..model import Image
from .commands import Runner, Unreadable
from .cursor import CursorState, Position, decode, encode
from .errors import QueryError
from .filters import MAX_LIMIT, Filters, Sort
from .keyset import Scanner
from .numbers import Range
from .order import ORDERS, Segment, reversed_order
from .text import TIMESTAMP, Constraints


@dataclass
class Page:
    images: list[Image]
    next_cursor: str | None
    commands: list[list[str]]
    """The argv of every FT.SEARCH and FT.AGGREGATE run for this page, in order, ready for
    `render_command`."""


def _position(state: CursorState, segments: tuple[Segment, ...]) -> Position:
    position = state.position
    if not (
        0 <= position.segment < len(segments)
        and len(position.values) == len(segments[position.segment].keys)
    ):
        raise QueryError("cursor", "this cursor does not fit this view: load the first page again")
    return position


def _readable(
    scanner: Scanner, segments: tuple[Segment, ...], constraints: Constraints,
    position: Position | None, need: int,
) -> tuple[list[Image], list[int]]:
    """Up to `need` pictures after `position`, stepping past `Unreadable` keys.

    The scanner counts those keys as rows, so that it always advances; when they
    took places, the scan resumes after the last one until `need` pictures are found.
    """
    rows: list[Image] = []
    where: list[int] = []
    while True:
        wanted = need - len(rows)
        got, at = scanner.after(segments, constraints, position, wanted)
        for row, segment in zip(got, at, strict=True):
            if not isinstance(row, Unreadable):
                rows.append(row)
                where.append(segment)
        if len(got) < wanted or len(rows) >= need:
            return rows, where
        last, segment = got[-1], at[-1]
        position = Position(segment, segments[segment].values(last), last.pk)


def search(
    r: redis.Redis, filters: Filters, sort: Sort, limit: int, cursor: str | None, *,
    secret: bytes, catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Page:
    """One page of the view after `cursor` (the first page if None)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"use 1 to {MAX_LIMIT}")
    segments = ORDERS[sort]
    state = decode(cursor, filters, sort, secret) if cursor else None
    position = _position(state, segments) if state else None
    runner = Runner(r, catalogue)
    scanner = Scanner(
        runner, dict(state.widths) if state else {}, dict(state.crowds) if state else {}
    )
    rows, where = _readable(
        scanner, segments, Constraints.from_filters(filters), position, limit + 1
    )
    next_cursor = None
    if len(rows) > limit:
        last, segment = rows[limit - 1], where[limit - 1]
        end = Position(segment, segments[segment].values(last), last.pk)
        next_cursor = encode(
            CursorState(end, scanner.widths, scanner.crowds), filters, sort, secret
        )
    return Page(rows[:limit], next_cursor, runner.commands)


def count(
    r: redis.Redis, filters: Filters, *, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> tuple[int, list[str]]:
    """How many pictures match, exactly, and the command that counted them."""
    runner = Runner(r, catalogue)
    total = runner.count(Constraints.from_filters(filters).text())
    return total, runner.commands[0]


def count_newer(
    r: redis.Redis, filters: Filters, since: float, *, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> int:
    """Pictures matching `filters` taken after `since`: the "N new pictures" banner."""
    constraints = Constraints.from_filters(filters).narrow(TIMESTAMP, Range(since, lo_open=True))
    if not constraints.can_match():
        return 0
    return Runner(r, catalogue).count(constraints.text())


def _segment_of(image: Image, segments: tuple[Segment, ...]) -> int:
    for index, segment in enumerate(segments):
        if segment.missing is not None:
            if getattr(image, segment.missing) is None:
                return index
        elif all(getattr(image, key.field) is not None for key in segment.keys):
            return index
    raise LookupError(f"{image.pk} has no place in this order")


def _next_id(
    r: redis.Redis, image: Image, segments: tuple[Segment, ...], filters: Filters,
    catalogue: Catalogue,
) -> str | None:
    index = _segment_of(image, segments)
    position = Position(index, segments[index].values(image), image.pk)
    rows, _ = _readable(
        Scanner(Runner(r, catalogue)), segments, Constraints.from_filters(filters), position, 1
    )
    return rows[0].pk if rows else None


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
