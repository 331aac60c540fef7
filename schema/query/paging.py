"""Keyset paging by windows: a page costs what it shows, wherever the pictures lie.

Glossary:
- order: a sort completed to a total order (table in docs/query.md); brightest and
  darkest have two *segments*, pictures with lux, then those without, newest first.
- position: where a page ended, the last picture's sort values and id; the cursor
  is that position written out (`1795605017.43,01JG...`).
- window: a range of the first sort field next to the position, queried with
  `SORTBY ... LIMIT`. FT.SEARCH pays for every match before it sorts, so a window
  is sized from the summary (`schema.summary`) to hold about a page, and widened
  eight-fold while it holds fewer. Its far end is open toward the rest of the
  view, so the summary only decides the cost, never which pictures are found.
- cut: a window with more matches than the page needs is read up to the last
  value returned; the pictures sharing that value (a *group*) are read on their own.
- crowd: a lux band holding thousands of pictures (lux 0 at night); its value's
  group is paged by time windows inside `@lux:[v v]` instead of being read whole.
"""

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
from .ftsearch import search_argv, timeouts
from .ranges import Range
from .text import LUX, TIMESTAMP, Constraints

GROWTH = 8
"""A window that came up short is followed by one up to this many times larger, as its
yield suggests (its square after an empty one)."""
AIM = 2
"""A window is sized to hold this many pages, as the summary counts them."""
SPARE = 4
"""Rows a window reads beyond the page, so a small tie at its end needs no read of its own."""
AHEAD = 128
"""A walk of the summary reads this many times the rows a window needs, for the
windows that follow in the same request."""
GROUP_READ = 1000
"""A group up to this size is read whole and ordered here; a bigger one is paged."""
CROWD = 4000
"""A summary band above this, holding one value, is paged as a crowd."""
_TS_AT, _LUX_AT = Image.METADATA_FIELDS.index(TIMESTAMP), Image.METADATA_FIELDS.index(LUX)


@dataclass(frozen=True)
class Row:
    """A hash a window returned, with the values it is ordered by. `found` is None for
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
    """Pictures ordered by `keys` ((field, descending), ...), then id in the last key's
    direction; `missing` restricts it to pictures without that field."""

    keys: tuple[tuple[str, bool], ...]
    missing: str | None = None

    def flipped(self) -> Segment:
        return Segment(tuple((name, not down) for name, down in self.keys), self.missing)

    def values(self, row: Row) -> tuple[float, ...]:
        return tuple(getattr(row, name) for name, _ in self.keys)

    def sort(self, rows: Sequence[Row], level: int = 0) -> list[Row]:
        by_id = sorted(rows, key=lambda row: row.pk, reverse=self.keys[-1][1])
        keys = self.keys[level:]
        return sorted(by_id, key=lambda row: tuple(
            -getattr(row, name) if down else getattr(row, name) for name, down in keys))

    def follows(self, row: Row, values: tuple[float, ...], pk: str, level: int = 0) -> bool:
        for (name, down), value in zip(self.keys[level:], values, strict=True):
            if getattr(row, name) != value:
                return getattr(row, name) < value if down else getattr(row, name) > value
        return row.pk < pk if self.keys[-1][1] else row.pk > pk


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
    segment: int
    values: tuple[float, ...]
    pk: str


@dataclass
class Pager:
    """Reads one view's rows in order, recording every command it sends."""

    r: redis.Redis
    catalogue: Catalogue
    camera: str
    commands: list[list[str]] = field(default_factory=list)
    counts: dict[int, int] = field(default_factory=dict)
    """Lux band counts the walks have seen, to tell crowds."""
    plans: list[tuple[str, bool, Range, float, list[summary.Bucket], bool]] = field(
        default_factory=list)
    """Summary walks: (kind, descending, lux range, from, buckets, whether that is all)."""

    def after(self, segments: tuple[Segment, ...], base: Constraints,
              position: Position | None, need: int) -> list[tuple[int, Row]]:
        """Up to `need` rows after `position` (from the start if None), with their segment."""
        out: list[tuple[int, Row]] = []
        (name, down), *rest = segments[0].keys
        if name == LUX and (position is None or position.segment == 0):
            # The walks a lux page may need, in one call: the bands, and the hours in
            # which to page a crowd by time (from the cursor, and from the start).
            later = rest[0][1]
            lux = base.range(LUX)
            walks = [(summary.LUX, position.values[0] if position else _start(down), down,
                      need, Range()), (summary.TIME, _start(later), later, need, lux)]
            if position:  # inside a crowd, its value's hours
                at = position.values[0]
                walks.append((summary.TIME, position.values[1], later, need, Range(at, at)))
            self.walk(walks)
        for index in range(position.segment if position else 0, len(segments)):
            segment = segments[index]
            c = base.without(segment.missing) if segment.missing else base
            start = position if position and index == position.segment else None
            if c.can_match() and len(out) < need:
                out += [(index, row) for row in self.scan(
                    segment, 0, c, start and (start.values, start.pk), need - len(out))]
        return out

    def scan(self, segment: Segment, level: int, c: Constraints,
             start: tuple[tuple[float, ...], str] | None, need: int) -> list[Row]:
        """Rows of `c` in the order of `segment`'s keys from `level`, after `start`."""
        name, down = segment.keys[level]
        bound = c.range(name)
        if start is not None:
            bound = bound.intersect(Range(hi=start[0][0]) if down else Range(lo=start[0][0]))
        rows: list[Row] = []
        target = need
        while len(rows) < need and not bound.is_empty():
            window = self.window(name, bound, down, target, c)
            if window.is_empty():
                target *= GROWTH
                continue
            if window.lo == window.hi:
                rows += self.group(segment, level, c, window.lo, start, need - len(rows))
                bound = bound.intersect(_beyond(window.lo, down))
                continue
            total, got = self.read(c.narrow(name, window), name, down,
                                   need - len(rows) + SPARE)
            got = [row for row in got if getattr(row, name) is not None]
            if total > len(got) and got:
                cut = getattr(got[-1], name)
                done = [row for row in got if getattr(row, name) != cut]
                rows += self.order(segment, level, done, start)
                if len(rows) < need:
                    rows += self.group(segment, level, c, cut, start, need - len(rows))
                bound = bound.intersect(_beyond(cut, down))
            else:
                found = self.order(segment, level, got, start)
                rows += found
                # Grow by what this window's yield says is missing, at most eight-fold.
                target = round(target * (max(2, min(GROWTH, 2 * need / len(found))) if found
                                         else GROWTH * GROWTH))
                bound = bound.intersect(
                    Range(hi=window.lo, hi_open=not window.lo_open) if down
                    else Range(lo=window.hi, lo_open=not window.hi_open))
        return rows[:need]

    def order(self, segment: Segment, level: int, rows: list[Row],
              start: tuple[tuple[float, ...], str] | None) -> list[Row]:
        ordered = segment.sort(rows, level)
        if start is None:
            return ordered
        return [row for row in ordered if segment.follows(row, start[0], start[1], level)]

    def group(self, segment: Segment, level: int, c: Constraints, value: float,
              start: tuple[tuple[float, ...], str] | None, need: int) -> list[Row]:
        """The rows whose key `level` equals `value`, in the order of the next keys."""
        name = segment.keys[level][0]
        inside = c.narrow(name, Range(value, value))
        rest = (start[0][1:], start[1]) if start and start[0][0] == value else None
        deeper = level + 1 < len(segment.keys)
        if deeper and self.counts.get(summary.bucket(summary.LUX, value), 0) > CROWD:
            return self.scan(segment, level + 1, inside, rest, need)
        total, got = self.read(inside, None, False, GROUP_READ if deeper else 10_000)
        if deeper and total > len(got):
            return self.scan(segment, level + 1, inside, rest, need)
        ordered = segment.sort(got, level + 1)
        if rest is not None:
            ordered = [row for row in ordered if segment.follows(row, *rest, level + 1)]
        return ordered[:need]

    def window(self, name: str, bound: Range, down: bool, target: int, c: Constraints) -> Range:
        """The part of `bound` next to its start that the summary says holds `target`
        matches (the rest of `bound` when it knows of no more), stopping short of a
        crowd; a crowd's value alone (`lo == hi`) once everything before it is read."""
        kind = summary.LUX if name == LUX else summary.NO_LUX if c.missing == LUX else summary.TIME
        edge, target = (bound.hi if down else bound.lo), target * AIM
        lux = c.range(LUX) if kind == summary.TIME else Range()
        found, complete = self.buckets(kind, edge, down, target, lux)
        reached = 0.0
        for i, band in enumerate(found):
            lo, hi = summary.bounds(kind, band.number)
            value = summary.single_value(kind, band.number) if band.count > CROWD else None
            if value is not None and not bound.intersect(Range(value, value)).is_empty():
                before = bound.intersect(_beyond(value, not down))
                return Range(value, value) if before.is_empty() else before
            if i == 0 and value is None:
                # Count only the part ahead of the edge, as if the band were even; from
                # an open end, split only a crowded band (the newest hour is not full).
                start = min(edge, hi) if down else max(edge, lo)
                reached = band.count * ((start - lo) if down else (hi - start)) / (hi - lo)
                if reached >= target and (math.isfinite(edge) or band.count > CROWD):
                    share = (hi - lo) * target / band.count
                    return bound.intersect(Range(lo=start - share) if down
                                           else Range(hi=start + share, hi_open=True))
            elif i:
                reached += band.count
            if reached >= target or (i == len(found) - 1 and not complete):
                return bound.intersect(Range(lo=lo) if down else Range(hi=hi, hi_open=True))
        return bound

    def buckets(self, kind: str, edge: float, down: bool, target: int, lux: Range
                ) -> tuple[list[summary.Bucket], bool]:
        """The summary's buckets from the one holding `edge` on, and whether they are all
        it has there; walked AHEAD times further than needed, reused while they last."""
        here = summary.bucket(kind, edge) if math.isfinite(edge) else None
        for plan_kind, plan_down, plan_lux, start, found, whole in reversed(self.plans):
            if ((plan_kind, plan_down) == (kind, down) and plan_lux.intersect(lux) == lux
                    and (edge == start or (edge < start) == down)):
                rest = [b for b in found if here is None or b.number == here
                        or (b.number < here) == down]
                if whole or sum(b.count for b in rest) >= target:
                    return rest, whole
        self.walk([(kind, edge, down, target, lux)])
        return self.plans[-1][4:]

    def walk(self, requests: list[tuple[str, float, bool, int, Range]]) -> None:
        """Read the summary for several (kind, edge, descending, target, lux range) in one
        call; the lux range only matters to hours (nights are skipped for a bright view)."""
        found, argv = summary.walk(self.r, self.catalogue, [
            (kind, self.camera, edge, down, target * AHEAD, (lux.lo, lux.hi))
            for kind, edge, down, target, lux in requests
        ])
        self.commands.append(argv)
        for (kind, edge, down, target, lux), got in zip(requests, found, strict=True):
            whole = sum(b.count for b in got) < target * AHEAD and len(got) < summary.MOST
            self.plans.append((kind, down, lux, edge, got, whole))
            if kind == summary.LUX:
                self.counts.update((b.number, b.count) for b in got)

    def read(self, c: Constraints, sort: str | None, down: bool, limit: int
             ) -> tuple[int, list[Row]]:
        """(total matching, the first `limit` rows), the search and its hashes in one call."""
        closed = {name: c.range(name).closed() for name in (TIMESTAMP, LUX) if name in c.ranges}
        argv = search_argv(self.catalogue.index, replace(c, ranges={**c.ranges, **closed}).text(),
                           sort_field=sort, descending=down, limit=limit)
        self.commands.append(argv)
        with timeouts():
            total, found = search_rows(self.r, argv[1:])
        rows = []
        for row in found:
            pk = row.key.decode().removeprefix(self.catalogue.prefix)
            stamp, lux = _float(row.values[_TS_AT]), _float(row.values[_LUX_AT])
            if is_valid_image_id(pk):
                if any(value is not None for value in row.values):
                    rows.append(Row(pk, id_timestamp(pk) if stamp is None else stamp, lux, row))
            elif stamp is not None or lux is not None:
                rows.append(Row(pk, stamp or 0.0, lux))
        return total, rows


def _float(value: bytes | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _start(down: bool) -> float:
    return math.inf if down else -math.inf


def _beyond(value: float, down: bool) -> Range:
    return Range(hi=value, hi_open=True) if down else Range(lo=value, lo_open=True)

