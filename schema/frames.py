"""Which pictures become a timelapse's frames: a view's matches, oldest first, thinned.

Three choices (`Choice`): every picture; at most one per interval (the first
picture, then the first taken at least `seconds` after the last one chosen); or
one per day, the picture closest to a time of day ("noon every day").

Every picture and the interval choice read the matches a keyset page at a time
through `query.search` (the gallery's own pages, oldest first) and thin them as
they stream past, so memory stays flat whatever the number of matches; the
interval choice holds one time. That pass reads each match, so it is bounded
(`MAX_THINNED`).

The daily choice is one `FT.AGGREGATE` per week of matches, which Redis answers
without sending the rows: it groups the matches by the camera's own calendar day,
told by `timestamp - time_of_day` (the instant of the camera's local midnight, so
a daylight-saving change or a camera in another zone does not split or merge
days), and keeps per day the key with the smallest distance to the time of day
(an earlier picture wins a tie). Weeks keep each command well inside the server's
500 ms limit; a day cut by a week boundary comes back twice and the nearer of its
two pictures is kept. Pictures without `time_of_day` (the seed project's hashes)
have no day and are left out. The query text is the one `query.count` reports for
the filters, so this module builds no filter clauses of its own.

`count_frames` says how many frames a choice yields before anything is encoded.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

import redis

from . import store
from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .clock import DAY
from .model import Image
from .query import (
    MAX_LIMIT,
    Constraints,
    Filters,
    QueryError,
    Sort,
    aggregate_argv,
    count,
    format_time_of_day,
    run_search,
    search,
)

MAX_THINNED = 100_000
"""Most matches the interval choice reads through: each is a row to stream (about
4,000 a second on the loaded two-core development machine), and the count runs
inside a request."""
WEEK = 7 * DAY
_INTERVAL = re.compile(r"([0-9]{1,5})\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": DAY}
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


class Pick(StrEnum):
    EVERY = "every"
    INTERVAL = "interval"
    DAILY = "daily"


@dataclass(frozen=True)
class Choice:
    """How to thin the matches: `seconds` is the interval, or the time of day for DAILY."""

    pick: Pick = Pick.EVERY
    seconds: int = 0

    def to_params(self) -> dict[str, str]:
        """The query-string form `parse_choice` reads back."""
        if self.pick is Pick.INTERVAL:
            return {"pick": "interval", "interval": _format_interval(self.seconds)}
        if self.pick is Pick.DAILY:
            return {"pick": "daily", "at": format_time_of_day(self.seconds)}
        return {"pick": "every"}

    def describe(self) -> str:
        if self.pick is Pick.INTERVAL:
            return f"at most one picture every {_format_interval(self.seconds)}"
        if self.pick is Pick.DAILY:
            return f"one picture a day, the closest to {format_time_of_day(self.seconds)}"
        return "every picture"


def _format_interval(seconds: int) -> str:
    for unit, size in (("d", DAY), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_choice(params: Mapping[str, str]) -> Choice:
    """`pick=every`, `pick=interval&interval=10m` (s, m, h or d), `pick=daily&at=12:00`."""
    pick = (params.get("pick") or "every").strip()
    if pick == Pick.EVERY:
        return Choice()
    if pick == Pick.INTERVAL:
        raw = (params.get("interval") or "").strip()
        match = _INTERVAL.fullmatch(raw)
        seconds = int(match.group(1)) * _UNITS[match.group(2)] if match else 0
        if not 1 <= seconds <= 366 * DAY:
            raise QueryError(
                "interval", f"{raw[:20]!r} is not an interval: use e.g. 30s, 10m, 2h or 1d"
            )
        return Choice(Pick.INTERVAL, seconds)
    if pick == Pick.DAILY:
        raw = (params.get("at") or "").strip()
        clock = _CLOCK.fullmatch(raw)
        if not clock:
            raise QueryError("at", f"{raw[:20]!r} is not a time of day: use HH:MM, e.g. 12:00")
        return Choice(Pick.DAILY, int(clock.group(1)) * 3600 + int(clock.group(2)) * 60)
    raise QueryError("pick", f"{pick[:20]!r} is not a choice: use every, interval or daily")


def frozen(filters: Filters, before: float) -> Filters:
    """`filters` up to `before`, so a camera still writing does not change a planned run."""
    end = before if filters.end is None else min(filters.end, before)
    return replace(filters, end=end)


def matches_oldest_first(
    r: redis.Redis, filters: Filters, *, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> Iterator[Image]:
    """Every picture matching `filters`, oldest first, read a page (100) at a time."""
    cursor = None
    while True:
        page = search(r, filters, Sort.OLDEST, MAX_LIMIT, cursor, catalogue=catalogue)
        yield from page.images
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def thin(images: Iterable[Image], choice: Choice) -> Iterator[Image]:
    """The frames the every or interval `choice` keeps from `images` (oldest first)."""
    if choice.pick is Pick.INTERVAL:
        last: float | None = None
        for image in images:
            if last is None or image.timestamp >= last + choice.seconds:
                last = image.timestamp
                yield image
    else:
        yield from images


def _daily_rows(
    r: redis.Redis, filters: Filters, at: int, catalogue: Catalogue
) -> Iterator[tuple[int, float, str]]:
    """(day, distance, key) of each day's nearest picture, in day order."""
    first = search(r, filters, Sort.OLDEST, 1, None, catalogue=catalogue).images
    last = search(r, filters, Sort.NEWEST, 1, None, catalogue=catalogue).images
    if not first or not last:
        return
    pending: tuple[int, float, str] | None = None
    start = first[0].timestamp
    while start <= last[0].timestamp:
        # Both ends inclusive: a picture on a boundary is in two weeks, one day twice.
        week = replace(filters, start=start, end=min(start + WEEK, last[0].timestamp))
        query = Constraints.from_filters(week).with_time_of_day().text()
        reply = run_search(r, aggregate_argv(
            catalogue.index, query,
            "LOAD", "3", "@__key", "@timestamp", "@time_of_day",
            "APPLY", "floor((@timestamp - @time_of_day) / 86400 + 0.5)", "AS", "day",
            "APPLY", f"abs(@time_of_day - {at}) * 2 + (@time_of_day > {at})", "AS", "distance",
            "GROUPBY", "1", "@day",
            "REDUCE", "FIRST_VALUE", "4", "@__key", "BY", "@distance", "ASC", "AS", "key",
            "REDUCE", "MIN", "1", "@distance", "AS", "nearest",
            "SORTBY", "2", "@day", "ASC", "MAX", "1000",
        ))
        for row in reply[1:]:
            fields = dict(zip(row[0::2], row[1::2], strict=True))
            day, nearest = int(float(fields[b"day"])), float(fields[b"nearest"])
            found = (day, nearest, fields[b"key"].decode())
            if pending is not None and pending[0] == day:
                pending = min(pending, found)
                continue
            if pending is not None:
                yield pending
            pending = found
        start += WEEK
    if pending is not None:
        yield pending


def _daily(
    r: redis.Redis, filters: Filters, at: int, catalogue: Catalogue
) -> Iterator[Image]:
    """Each day's picture nearest `at`, read a hundred at a time, skipping any gone since."""
    ids: list[str] = []
    for _, _, key in _daily_rows(r, filters, at, catalogue):
        ids.append(catalogue.id_from_key(key))
        if len(ids) == MAX_LIMIT:
            yield from store.load_many(r, ids, catalogue)
            ids = []
    yield from store.load_many(r, ids, catalogue)


def frames(
    r: redis.Redis, filters: Filters, choice: Choice, *,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Iterator[Image]:
    """The frames of a timelapse, oldest first (metadata only; read bytes per frame)."""
    if choice.pick is Pick.DAILY:
        return _daily(r, filters, choice.seconds, catalogue)
    return thin(matches_oldest_first(r, filters, catalogue=catalogue), choice)


def count_frames(
    r: redis.Redis, filters: Filters, choice: Choice, *, stop_after: int,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> int:
    """How many frames `choice` yields, counting no further than `stop_after` + 1
    (enough to tell "too many"); a `QueryError` when the interval choice would have
    to read more than `MAX_THINNED` matches."""
    if choice.pick is Pick.DAILY:
        rows = _daily_rows(r, filters, choice.seconds, catalogue)
        return sum(1 for _ in itertools.islice(rows, stop_after + 1))
    matches = count(r, filters, catalogue=catalogue)[0]
    if choice.pick is Pick.EVERY:
        return matches
    if matches > MAX_THINNED:
        raise QueryError(
            "pick",
            f"{matches:,} pictures match; one per interval reads each of them, and this is "
            f"limited to {MAX_THINNED:,}: narrow the date range (or the time of day) first, "
            "or choose one a day",
        )
    n = 0
    for _ in frames(r, filters, choice, catalogue=catalogue):
        n += 1
        if n > stop_after:
            break
    return n
