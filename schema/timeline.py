"""When pictures were taken: counts and mean lux per time bucket, from one FT.AGGREGATE.

The server groups the matching pictures into small base buckets (`APPLY floor(...)`,
`GROUPBY`, `REDUCE`); Python merges those into calendar buckets of the viewer's zone,
so a day is a local day even when it has 23 or 25 hours. Mean lux is `SUM(lux) /
SUM(exists(lux))`, not `REDUCE AVG`, because AVG counts a picture without lux as 0
(measured on RediSearch 2.10). Every reply is read to its end: `LIMIT` is always given,
since FT.AGGREGATE returns 10 rows unless told otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

import redis

from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .clock import EARLIEST, LATEST
from .query import Constraints, Filters, QueryError, aggregate_argv, run_search

Unit = Literal["minute", "hour", "day", "week", "month", "year"]
UNITS: dict[Unit, int] = {
    "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400,
    "month": 28 * 86400, "year": 365 * 86400,
}
"""Each unit's shortest length: how many bars a span can need at most."""
MAX_BARS = 400
_TARGET_BARS = 120
PAGE_ROWS = 10_000
"""Base buckets read per FT.AGGREGATE: never above a server's MAXAGGREGATERESULTS (Redis
Stack's start script sets 10,000), so no zone or range asks for a LIMIT it refuses."""


@dataclass(frozen=True)
class Bucket:
    start: float
    end: float
    count: int
    mean_lux: float | None


@dataclass(frozen=True)
class Timeline:
    unit: Unit
    buckets: list[Bucket]
    commands: list[list[str]]

    @property
    def total(self) -> int:
        return sum(bucket.count for bucket in self.buckets)


def choose_unit(span: float) -> Unit:
    """The finest unit that draws the span in about a hundred bars or fewer."""
    for unit in ("minute", "hour", "day", "week", "month"):
        if span / UNITS[unit] <= _TARGET_BARS:
            return unit
    return "year"


def parse_unit(value: str | None) -> Unit | None:
    if value in (None, "", "auto"):
        return None
    if value not in UNITS:
        raise QueryError("bucket", f"bucket must be one of auto, {', '.join(UNITS)}")
    return value  # type: ignore[return-value]


def _floor(moment: float, unit: Unit, tz: tzinfo) -> datetime:
    local = datetime.fromtimestamp(moment, tz)
    if unit == "minute":
        return local.replace(second=0, microsecond=0)
    if unit == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "week":
        day -= timedelta(days=day.weekday())
    elif unit == "month":
        day = day.replace(day=1)
    elif unit == "year":
        day = day.replace(month=1, day=1)
    return _wall(day.replace(tzinfo=None), tz)


def _next(start: datetime, unit: Unit, tz: tzinfo) -> datetime:
    """The next bucket start in wall-clock terms, so local days keep their real length."""
    if unit in ("minute", "hour"):
        return datetime.fromtimestamp(start.timestamp() + UNITS[unit], tz)
    wall = start.replace(tzinfo=None)
    if unit == "year":
        wall = wall.replace(year=wall.year + 1)
    elif unit == "month":
        wall = wall.replace(year=wall.year + wall.month // 12, month=wall.month % 12 + 1)
    else:
        wall += timedelta(days=7 if unit == "week" else 1)
    return _wall(wall, tz)


def _wall(wall: datetime, tz: tzinfo) -> datetime:
    """Local wall time `wall` in `tz`, as the instant it names (a normalised datetime)."""
    return datetime.fromtimestamp(wall.replace(tzinfo=tz).timestamp(), tz)


def _base_seconds(unit: Unit, starts: list[float]) -> int:
    """Server-side grouping step: the largest that divides every local bucket start.

    Then no base bucket straddles a local boundary of the viewer's zone (a day bar
    in UTC+05:30 never counts pictures of the neighbouring day), whatever the span:
    a whole unit in UTC, 30 min in India, less only for zones with odder offsets.
    """
    period = UNITS[unit] if unit in ("minute", "hour", "day") else 86400
    return math.gcd(period, *(round(start) for start in starts))


def _aggregate(
    r: redis.Redis, index: str, query: str, step: int, rows: int
) -> tuple[list[str], list[tuple[float, int, float, int]]]:
    """Every non-empty base bucket, `PAGE_ROWS` at a time; the first command is shown."""
    shown: list[str] = []
    out: list[tuple[float, int, float, int]] = []
    offset = 0
    while True:
        page = min(rows - offset, PAGE_ROWS)
        argv, groups = _aggregate_page(r, index, query, step, offset, page)
        shown = shown or argv
        out.extend(groups)
        offset += page
        if len(groups) < page or offset >= rows:
            return shown, out


def _aggregate_page(
    r: redis.Redis, index: str, query: str, step: int, offset: int, rows: int
) -> tuple[list[str], list[tuple[float, int, float, int]]]:
    argv = aggregate_argv(
        index,
        query,
        "APPLY",
        f"floor(@timestamp / {step}) * {step}",
        "AS",
        "bucket",
        "APPLY",
        "exists(@lux)",
        "AS",
        "has_lux",
        "GROUPBY",
        "1",
        "@bucket",
        "REDUCE",
        "COUNT",
        "0",
        "AS",
        "pictures",
        "REDUCE",
        "SUM",
        "1",
        "@lux",
        "AS",
        "lux_sum",
        "REDUCE",
        "SUM",
        "1",
        "@has_lux",
        "AS",
        "lux_pictures",
        "SORTBY",
        "2",
        "@bucket",
        "ASC",
        "LIMIT",
        str(offset),
        str(rows),
    )
    reply = run_search(r, argv)
    out = []
    for row in reply[1:]:
        fields = {row[i].decode(): row[i + 1] for i in range(0, len(row), 2)}
        out.append(
            (
                float(fields["bucket"]),
                int(fields["pictures"]),
                float(fields.get("lux_sum") or 0),
                int(float(fields.get("lux_pictures") or 0)),
            )
        )
    return argv, out


def _bounds(r: redis.Redis, index: str, query: str) -> tuple[list[str], float, float] | None:
    """The whole seconds of the first and last picture.

    MIN and MAX come back with 12 significant digits, so a raw timestamp a few ms
    before a bucket boundary could read as the boundary and its picture fall out of
    the chart. Whole seconds are exact, and in the same bucket as the picture.
    """
    argv = aggregate_argv(
        index,
        query,
        "APPLY",
        "floor(@timestamp)",
        "AS",
        "second",
        "GROUPBY",
        "0",
        "REDUCE",
        "MIN",
        "1",
        "@second",
        "AS",
        "first",
        "REDUCE",
        "MAX",
        "1",
        "@second",
        "AS",
        "last",
    )
    reply = run_search(r, argv)
    if len(reply) < 2:
        return None
    fields = {reply[1][i].decode(): reply[1][i + 1] for i in range(0, len(reply[1]), 2)}
    try:
        return argv, float(fields["first"]), float(fields["last"])
    except (KeyError, ValueError):
        return None


def timeline(
    r: redis.Redis,
    filters: Filters,
    tz: tzinfo,
    *,
    unit: Unit | None = None,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Timeline:
    """Counts and mean lux per bucket over the filtered pictures, empty buckets included."""
    query = Constraints.from_filters(filters).text()
    commands: list[list[str]] = []
    start, end = filters.start, filters.end
    if start is None or end is None:
        bounds = _bounds(r, catalogue.index, query)
        if bounds is None:
            return Timeline(unit or "day", [], commands)
        argv, first, last = bounds
        commands.append(argv)
        start = first if start is None else start
        end = last if end is None else end
    # Only valid capture times are drawn: a hand-written hash dated 9999 or a filter
    # from year 1 must not stretch the chart beyond what any zone can show.
    start, end = max(start, EARLIEST), min(end, LATEST - 1)
    if start > end:
        return Timeline(unit or "day", [], commands)
    span = max(end - start, 1.0)
    unit = unit or choose_unit(span)
    if span / UNITS[unit] > MAX_BARS:
        raise QueryError("bucket", f"{unit} buckets would draw more than {MAX_BARS} bars here")

    edges = [_floor(start, unit, tz)]
    while edges[-1].timestamp() <= end:
        edges.append(_next(edges[-1], unit, tz))
    starts = [edge.timestamp() for edge in edges]

    step = _base_seconds(unit, starts)
    rows = int(span // step) + 2
    argv, groups = _aggregate(r, catalogue.index, query, step, rows)
    commands.append(argv)

    counts = [0] * (len(starts) - 1)
    lux_sums = [0.0] * len(counts)
    lux_counts = [0] * len(counts)
    position = 0
    for base, pictures, lux_sum, lux_pictures in groups:
        while position + 1 < len(starts) - 1 and base >= starts[position + 1]:
            position += 1
        if not starts[0] <= base < starts[-1]:
            continue
        counts[position] += pictures
        lux_sums[position] += lux_sum
        lux_counts[position] += lux_pictures
    buckets = [
        Bucket(
            starts[i],
            starts[i + 1],
            counts[i],
            lux_sums[i] / lux_counts[i] if lux_counts[i] else None,
        )
        for i in range(len(counts))
    ]
    return Timeline(unit, buckets, commands)
