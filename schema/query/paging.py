"""Keyset paging by boxes: a page costs what it shows, wherever the pictures lie.

A page reads *boxes*: ranges of its first sort field, from where the last page ended
on. Each box is an FT.AGGREGATE that sorts its pictures in the page's exact order
(sort values, then key) and, for the first, keeps only those after the last page's
picture (FILTER), so ties need no care of their own. The writers' summary
(`schema.summary`) sizes the boxes: the first to hold about two pages, each next
GROWTH times more, then one for the rest of the view. All go in one call that runs
them in turn until the page is full, so the summary decides only what a page costs,
never which pictures it finds. A lux value shared by more than CROWD pictures (lux 0
at night: a *crowd*) is boxed by time instead. Words: docs/query.md#glossary."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import redis

from .. import summary
from ..catalogue import Catalogue
from ..ids import id_timestamp, is_valid_image_id
from ..model import Image
from ..store import FoundRow, image_from_row, search_rows
from .filters import Sort
from .ftsearch import aggregate_argv, timeouts
from .ranges import Range, format_number
from .text import LUX, TIMESTAMP, Constraints

AIM = 2
"""The first box is sized to hold this many pages, as the summary counts them."""
GROWTH = 4
"""Each next box is sized for this many times the one before, so a summary that
overcounts a view (deleted pictures, a day and a night in one hour) costs a few
more boxes in the same call, not another round trip."""
AHEAD = 128
"""A walk of the summary reads this many times the rows a page needs: the boxes of
one call reach that far (then to the end of the view if the walk saw all there is).
If they all come up short, the next call's walk reaches AHEAD times further."""
CROWD = 500
"""A lux value shared by more pictures than this (lux 0 at night) is boxed by time:
sorting a box costs about 3 µs a picture, so a smaller tie is sorted whole."""
_TS_AT, _LUX_AT = Image.METADATA_FIELDS.index(TIMESTAMP), Image.METADATA_FIELDS.index(LUX)
Walk = tuple[str, float, bool, Range, bool]
"""A summary walk: the kind of buckets, where it starts, descending, the lux range,
and whether it starts just past that value."""


@dataclass(frozen=True)
class Row:
    """A hash a box returned, with the values it is ordered by. `found` is None for
    a key that is not an image id, which keeps its place in the order and is stepped
    past, never shown; the picture itself is made only for the rows a page shows."""

    pk: str
    timestamp: float | None
    lux: float | None
    found: FoundRow | None = None

    def image(self) -> Image:
        assert self.found is not None
        return image_from_row(self.pk, self.found.values, self.found.pttl, time.time())


@dataclass(frozen=True)
class Segment:
    """Pictures ordered by `keys` ((field, descending), ...), then key in the last key's
    direction; `missing` restricts it to pictures without that field."""

    keys: tuple[tuple[str, bool], ...]
    missing: str | None = None

    def flipped(self) -> Segment:
        return Segment(tuple((name, not down) for name, down in self.keys), self.missing)

    def values(self, row: Row) -> tuple[float, ...]:
        return tuple(getattr(row, name) for name, _ in self.keys)

    def sortby(self) -> list[str]:
        """The SORTBY arguments of this exact order."""
        keys = [*self.keys, ("__key", self.keys[-1][1])]
        return [str(2 * len(keys)), *(w for name, down in keys
                                      for w in (f"@{name}", "DESC" if down else "ASC"))]

    def after(self, values: tuple[float, ...], key: str) -> str:
        """A FILTER expression keeping the pictures after (values, key) in this order."""
        expr = f'@__key {"<" if self.keys[-1][1] else ">"} "{key}"'
        for (name, down), value in reversed(list(zip(self.keys, values, strict=True))):
            v = format_number(value)
            expr = f"@{name} {'<' if down else '>'} {v} || (@{name} == {v} && ({expr}))"
        return expr


_NEW = (TIMESTAMP, True)
_UNLIT = Segment((_NEW,), missing=LUX)
ORDERS: dict[Sort, tuple[Segment, ...]] = {
    Sort.NEWEST: (Segment((_NEW,)),),
    Sort.OLDEST: (Segment(((TIMESTAMP, False),)),),
    Sort.BRIGHTEST: (Segment(((LUX, True), _NEW)), _UNLIT),
    Sort.DARKEST: (Segment(((LUX, False), _NEW)), _UNLIT),
}


def reversed_order(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
    return tuple(segment.flipped() for segment in reversed(segments))


@dataclass(frozen=True)
class Position:
    """Where a view goes on: after the picture `pk` with these sort values, or, without
    `pk`, after every picture whose leading sort values reach `values` (a chain's end)."""

    segment: int
    values: tuple[float, ...]
    pk: str | None


Plan = dict[Walk, tuple[list[summary.Bucket], bool]]
"""What the summary walks found: for each, its buckets and whether that is all there is."""


@dataclass
class Pager:
    """Reads one view's rows in order, recording every command it sends."""

    r: redis.Redis
    catalogue: Catalogue
    camera: str
    commands: list[list[str]] = field(default_factory=list)
    sent: int = 0
    """Commands sent to Redis (a call that runs several boxes counts once)."""

    def after(self, segments: tuple[Segment, ...], base: Constraints,
              position: Position | None, need: int) -> list[tuple[int, Row]]:
        """Up to `need` rows after `position` (from the start if None), with their segment:
        one walk of the summary, then one call running the boxes; again from where the
        boxes ended only when the summary counted far more pictures than there are."""
        rows: list[tuple[int, Row]] = []
        reach = AHEAD
        while len(rows) < need:
            chain, position = self.chain(segments, base, position, need - len(rows), reach)
            rows += self.read(chain, need - len(rows))
            if position is None:
                break
            reach *= AHEAD  # a filter the summary cannot count (time of day) matched little
        return rows

    def chain(self, segments: tuple[Segment, ...], base: Constraints,
              position: Position | None, need: int, reach: int
              ) -> tuple[list[tuple[int, list[str]]], Position | None]:
        """The boxes after `position`, in order, to the end of the view or of what a walk
        of `reach` pages' worth saw (then also where they end)."""
        parts = []
        for index in range(position.segment if position else 0, len(segments)):
            c = base.without(LUX) if segments[index].missing else base
            if c.can_match():
                start = position if position and position.segment == index else None
                walks = _walks(segments[index], c, start)
                parts.append((index, segments[index], c, start, walks))
        plan = self.walk([w for *_, walks in parts for w in walks], need * reach)
        chain: list[tuple[int, list[str]]] = []
        for index, segment, c, start, walks in parts:
            boxes, end = _boxes(segment, c, start, need, [plan[w] for w in walks])
            for n, (box, lux) in enumerate(boxes):
                after = segment.after(start.values, self.catalogue.prefix + start.pk) if (
                    start and start.pk and n == 0) else None
                chain.append((index, self.aggregate(segment, box, lux, after, need)))
            if end is not None:
                return chain, Position(index, end, None)
        return chain, None

    def aggregate(self, segment: Segment, box: Constraints, lux: Range | None,
                  after: str | None, need: int) -> list[str]:
        """The FT.AGGREGATE of one box: its first `need` pictures in the exact order of
        `segment`, those in `lux` (checked by a FILTER) and after `after` (a FILTER
        expression) only."""
        checks = [f"exists(@{name})" for name, _ in segment.keys[1:]]
        if lux is not None:
            checks += ["exists(@lux)", *(f"@lux {op} {format_number(v)}" for op, v in (
                (">=", lux.lo), ("<=", lux.hi)) if math.isfinite(v))]
        closed = {name: box.range(name).closed() for name in (TIMESTAMP, LUX)
                  if name in box.ranges}
        text = replace(box, ranges={**box.ranges, **closed}).text()
        return aggregate_argv(
            self.catalogue.index, text, *(["FILTER", " && ".join(checks)] if checks else []),
            "LOAD", "1", "@__key", *(["FILTER", after] if after else []),
            "SORTBY", *segment.sortby(), "MAX", str(need))

    def walk(self, walks: list[Walk], target: int) -> Plan:
        """The summary's buckets for each walk until they count `target`, in one call."""
        found, argv = summary.walk(self.r, self.catalogue, [
            (kind, self.camera, edge, down, target, (lux.lo, lux.hi), past)
            for kind, edge, down, lux, past in walks
        ])
        self.commands.append(argv)
        self.sent += 1
        return {w: (got, sum(b.count for b in got) < target and len(got) < summary.MOST)
                for w, got in zip(walks, found, strict=True)}

    def read(self, boxes: list[tuple[int, list[str]]], need: int) -> list[tuple[int, Row]]:
        """The rows of the boxes, run in turn until they reach `need`, in one call."""
        if not boxes:
            return []
        with timeouts():
            results = search_rows(self.r, [argv[1:] for _, argv in boxes], need)
        self.sent += 1
        self.commands += [argv for _, argv in boxes[:len(results)]]
        return [(index, row) for (index, _), rows in zip(boxes, results, strict=False)
                for found in rows if (row := self._row(found))]

    def _row(self, found: FoundRow) -> Row | None:
        pk = found.key.decode().removeprefix(self.catalogue.prefix)
        stamp, lux = _float(found.values[_TS_AT]), _float(found.values[_LUX_AT])
        if is_valid_image_id(pk):
            if any(value is not None for value in found.values):
                return Row(pk, id_timestamp(pk) if stamp is None else stamp, lux, found)
        elif stamp is not None or lux is not None:
            return Row(pk, stamp or 0.0, lux)
        return None


def _edge(c: Constraints, name: str, down: bool, value: float | None) -> float:
    """Where a walk of `name` starts: at the position's value, else where the range does."""
    if value is not None:
        return value
    return c.range(name).hi if down else c.range(name).lo


def _walks(segment: Segment, c: Constraints, start: Position | None) -> list[Walk]:
    """The summary walks `_boxes` reads for one segment."""
    (name, down), *rest = segment.keys
    at = start.values[0] if start else None
    past = start is not None and start.pk is None  # a chain's end: go on past it
    if name == TIMESTAMP:
        if segment.missing:
            return [(summary.NO_LUX, _edge(c, name, down, at), down, Range(), past)]
        hours = (summary.TIME, _edge(c, name, down, at), down, c.range(LUX), past)
        if LUX not in c.ranges:
            return [hours]
        # and the lux bands from the range's low end: how many pictures the range holds
        return [hours, (summary.LUX, c.range(LUX).lo, False, Range(), False)]
    later = rest[0][1]  # a crowd's hours: from the start of the view, and from the position
    walks = [(summary.LUX, _edge(c, LUX, down, at), down, Range(),
              past and len(start.values) == 1),
             (summary.TIME, _edge(c, TIMESTAMP, later, None), later, c.range(LUX), False)]
    if start and len(start.values) > 1 and _alone_in_band(start.values[0]):
        walks.append((summary.TIME, start.values[1], later, Range.point(start.values[0]), past))
    return walks


def _boxes(segment: Segment, c: Constraints, start: Position | None, need: int,
           found: list[tuple[list[summary.Bucket], bool]]
           ) -> tuple[list[tuple[Constraints, Range | None]], tuple[float, ...] | None]:
    """`c` after `start` cut into boxes in the order of `segment`, a crowd's value cut by
    time, each with the lux range to check in a FILTER rather than its query (if any);
    and, if they end before the view does, the sort values where they end. `found` is
    what the walks `_walks` asked for this segment found, in their order.

    RediSearch intersects a lux range holding many pictures with a time range at about
    5 µs a picture of the time range, where a FILTER costs a fifth of that. A lux range
    holding few pictures (as the summary counts them) is cheap to intersect, so it
    stays in the query; so it does in the box holding the rest of a view, which may
    span every night of the catalogue."""
    walks = iter(found)
    (name, down), *rest = segment.keys
    bound = c.range(name)
    if start:
        bound = bound.intersect(_beyond(start.values[0], down, len(start.values) > 1
                                        or start.pk is not None))
    if name == TIMESTAMP:
        hours, whole = next(walks)
        scarce = LUX in c.ranges and _scarce(c.range(LUX), *next(walks), need)
        ranges, end = _cut(summary.TIME, bound, down, hours, whole or scarce, need)
        unlux = replace(c, ranges={k: v for k, v in c.ranges.items() if k != LUX})
        filtered = LUX in c.ranges and not scarce
        return [(unlux.narrow(name, r), c.range(LUX)) if filtered and (
                    end is not None or i < len(ranges) - 1) else (c.narrow(name, r), None)
                for i, r in enumerate(ranges)], None if end is None else (end,)
    (bands, whole), top = next(walks), next(walks)
    later, out, stretch = rest[0][1], [], []
    for number, band in enumerate(bands):
        value = summary.single_value(summary.LUX, band.number) if band.count > CROWD else None
        if value is None:
            stretch.append(band)
            continue
        if bound.intersect(Range.point(value)).is_empty():
            continue  # a crowd already read
        times, hours = c.range(TIMESTAMP), top
        if start and number == 0 and start.values[0] == value:  # the page starts inside it
            times = times.intersect(_beyond(start.values[1], later, start.pk is not None))
            hours = next(walks)
        before = bound.intersect(_beyond(value, not down))
        out += [(c.narrow(LUX, r), None)
                for r in _cut(summary.LUX, before, down, stretch, True, need)[0]]
        ranges, end = _cut(summary.TIME, times, later, *hours, need)
        inside = c.narrow(LUX, Range.point(value))
        out += [(inside.narrow(TIMESTAMP, r), None) for r in ranges]
        if end is not None:
            return out, (value, end)
        bound, stretch = bound.intersect(_beyond(value, down)), []
    ranges, end = _cut(summary.LUX, bound, down, stretch, whole, need)
    return out + [(c.narrow(LUX, r), None) for r in ranges], None if end is None else (end,)


def _cut(kind: str, bound: Range, down: bool, buckets: Sequence[summary.Bucket], whole: bool,
         need: int) -> tuple[list[Range], float | None]:
    """`bound` cut from its start into ranges, the first holding AIM pages as `buckets`
    count them (spread evenly over each bucket), each next GROWTH times more: to the
    end of `bound` if the buckets are `whole`, else to the end of the last (returned)."""
    edge = bound.hi if down else bound.lo
    ends: list[float] = []
    goal, have = float(AIM * need), 0.0
    far = edge
    for bucket in buckets:
        lo, hi = summary.bounds(kind, bucket.number)
        if kind != summary.LUX:  # the current hour holds pictures only up to now
            hi = min(hi, max(time.time(), lo + 1))
        near, far = (min(hi, edge), lo) if down else (max(lo, edge), hi)
        if (near - far if down else far - near) <= 0:
            continue
        count = bucket.count * abs(far - near) / (hi - lo)
        while have + count >= goal:
            at = near + (far - near) * (goal - have) / count
            ends.append(at)
            count, near, have, goal = count - (goal - have), at, 0.0, goal * GROWTH
        have += count
    stop = None if whole or bound.intersect(_beyond(far, down)).is_empty() else far
    if stop == edge:  # the walk saw nothing ahead: a stale count; read the rest instead
        stop = None
    out, previous = [], None
    for at in [*ends, stop]:
        box = bound if at is None else bound.intersect(Range(lo=at) if down else Range(hi=at))
        if previous is not None:
            box = box.intersect(_beyond(previous, down))
        if not box.is_empty():
            out.append(box)
        previous = at
    return out, stop


def _scarce(lux: Range, bands: list[summary.Bucket], whole: bool, need: int) -> bool:
    """Whether the summary counts few pictures in `lux` (bands walked up from its low end)."""
    inside = [b.count for b in bands if summary.bounds(summary.LUX, b.number)[0] <= lux.hi]
    return (whole or len(inside) < len(bands)) and sum(inside) < need * AHEAD


def _float(value: bytes | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _alone_in_band(value: float) -> bool:
    """Whether `value` is the one value its lux band holds (only such a band is a crowd)."""
    return summary.single_value(summary.LUX, summary.bucket(summary.LUX, value)) == value


def _beyond(value: float, down: bool, inclusive: bool = False) -> Range:
    """The values after `value` in the direction of the order (and it, if inclusive)."""
    return (Range(hi=value, hi_open=not inclusive) if down
            else Range(lo=value, lo_open=not inclusive))
