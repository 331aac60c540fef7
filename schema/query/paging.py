"""Keyset paging by windows: a page costs what it shows, wherever the pictures lie.

A page reads *windows*: ranges of its first sort field next to where the last page
ended, sized from the writers' summary (`schema.summary`) to hold about two pages
and sent in *chains* of up to three per call. Each is open toward the rest of the
view, so the summary decides only what a page costs, never which pictures it finds.
Ties at a window's end (a *cut*) are read as a *group*; lux 0 at night (a *crowd*)
is paged by time inside its value. The words are defined in docs/query.md#glossary,
the order in docs/query.md#order."""

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

GROWTH = 4
"""Each window of a chain is sized for this many times the pictures of the one before."""
CHAIN = 3
"""Windows sent in one call: a summary that overcounts a view (a day and night mixed in
one hour, deleted pictures) up to 1 + 4 + 16 = 21 times still costs one round trip."""
AIM = 2
"""A window is sized to hold this many pages, as the summary counts them."""
SPARE = 4
"""Rows a window reads beyond the page, so a small tie at its end needs no read of its own."""
AHEAD = 128
"""A walk of the summary reads this many times the rows a window needs, for the
windows that follow in the same request."""
CROWD = 500
"""A lux value shared by more pictures than this (lux 0 at night) is paged by time
inside the value; a smaller tie is read whole. Reading a row costs about 10 µs, so a
tie read whole stays a few milliseconds."""
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
    sent: int = 0
    """Commands sent to Redis (a call that runs several searches counts once)."""
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
            lux, times = base.range(LUX), base.range(TIMESTAMP)
            at = position.values[0] if position else lux.hi if down else lux.lo
            walks = [(summary.LUX, at, down, need, Range()),
                     (summary.TIME, times.hi if later else times.lo, later, need, lux)]
            if position and _alone_in_band(at):
                # perhaps inside a crowd (only a band of one value can be): its hours
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
        """Rows of `c` in the order of `segment`'s keys from `level`, after `start`.

        A call reads, in order, what must come first (a tie: the pictures sharing the
        position's values, or a cut's; then the rest of the position's lux value,
        ordered by time) and the chain of windows beyond it: one round trip, unless a
        crowd, a huge tie or a chain that falls short needs another."""
        name, down = segment.keys[level]
        bound, rows, target = c.range(name), [], need
        tie: tuple[int, Constraints, float, tuple[tuple[float, ...], str] | None] | None = None
        rest: tuple[Constraints, float] | None = None  # a lux value's rows before a time
        if start is not None:
            value = start[0][0]
            bound = bound.intersect(_beyond(value, down))
            if level + 1 == len(segment.keys):
                tie = (level, c, value, start)
            elif self.crowded(value):
                rows = self.by_next_key(segment, level, c, value, start, need)
            else:
                inside = c.narrow(name, Range(value, value))
                tie, rest = (level + 1, inside, start[0][1], (start[0][1:], start[1])), (
                    inside, start[0][1])
        while len(rows) < need and (tie or rest or not bound.is_empty()):
            windows = self.windows(name, bound, down, target, c) if not bound.is_empty() else []
            if windows and windows[0].lo == windows[0].hi:  # a crowd's value, read on its own
                if tie or rest:
                    windows = []
                else:
                    rows += self.group(segment, level, c, windows[0].lo, None, need - len(rows))
                    bound = bound.intersect(_beyond(windows[0].lo, down))
                    continue
            if not (windows or tie or rest):
                target *= GROWTH
                continue
            limit = need - len(rows) + SPARE
            searches: list[tuple[Constraints, str | None, bool, int, tuple[str, str] | None]] = []
            if tie:
                searches.append(self.tie_search(segment, *tie))
            if rest:
                nxt, nxt_down = segment.keys[level + 1]
                searches.append((rest[0].narrow(nxt, _beyond(rest[1], nxt_down)), nxt, nxt_down,
                                 limit, None))
            searches += [(c.narrow(name, w), name, down, limit, None) for w in windows]
            results = iter(self.read(searches, limit))
            if tie:
                (tie_level, tie_c, value, tie_start), tie = tie, None
                rows += self.tie_rows(segment, tie_level, tie_c, value, tie_start,
                                      next(results), need - len(rows))
                if len(rows) >= need:
                    break
            if rest:
                total, got = next(results)
                if total > len(got) and got:  # the page ends inside this value
                    cut = getattr(got[-1], nxt)
                    rows += self.order(segment, level + 1,
                                       [row for row in got if getattr(row, nxt) != cut], None)
                    tie, rest = (level + 1, rest[0], cut, None), (rest[0], cut)
                    continue
                rows += self.order(segment, level + 1, got, None)
                rest = None
            for window, (total, got) in zip(windows, results, strict=False):
                got = [row for row in got if getattr(row, name) is not None]
                if total > len(got) and got:
                    cut = getattr(got[-1], name)
                    rows += self.order(segment, level,
                                       [row for row in got if getattr(row, name) != cut], start)
                    if len(rows) < need and level + 1 < len(segment.keys) and self.crowded(cut):
                        rows += self.group(segment, level, c, cut, None, need - len(rows))
                    elif len(rows) < need:
                        tie = (level, c, cut, None)
                    bound = bound.intersect(_beyond(cut, down))
                    break
                rows += self.order(segment, level, got, start)
                bound = bound.intersect(_past(window, down))
                target *= GROWTH  # it came up short: size the next for more
        return rows[:need]

    def crowded(self, value: float) -> bool:
        band = summary.bucket(summary.LUX, value)
        return self.counts.get(band, 0) > CROWD and _alone_in_band(value)

    def windows(self, name: str, bound: Range, down: bool, target: int, c: Constraints
                ) -> list[Range]:
        """Up to CHAIN windows from the start of `bound`, each sized for GROWTH times the
        one before, read in one call until they hold the page; a crowd's value alone.
        Only the first may read the summary again: the others use what is known."""
        out: list[Range] = []
        while len(out) < CHAIN and not bound.is_empty():
            window = self.window(name, bound, down, target, c, walk=not out)
            if window is None or window.is_empty() or (out and window.lo == window.hi):
                break
            out.append(window)
            if window.lo == window.hi:
                break
            bound, target = bound.intersect(_past(window, down)), target * GROWTH
        return out

    def order(self, segment: Segment, level: int, rows: list[Row],
              start: tuple[tuple[float, ...], str] | None) -> list[Row]:
        ordered = segment.sort(rows, level)
        if start is None:
            return ordered
        return [row for row in ordered if segment.follows(row, start[0], start[1], level)]

    def group(self, segment: Segment, level: int, c: Constraints, value: float,
              start: tuple[tuple[float, ...], str] | None, need: int) -> list[Row]:
        """The rows whose key `level` equals `value`, in the order of the next keys."""
        if level + 1 < len(segment.keys) and self.crowded(value):
            return self.by_next_key(segment, level, c, value, start, need)
        [found] = self.read([self.tie_search(segment, level, c, value, start)], need)
        return self.tie_rows(segment, level, c, value, start, found, need)

    def tie_search(self, segment: Segment, level: int, c: Constraints, value: float,
                   start: tuple[tuple[float, ...], str] | None
                   ) -> tuple[Constraints, None, bool, int, tuple[str, str] | None]:
        """The search reading a tie whole; only its rows after `start` count toward a page."""
        limit = CROWD if level + 1 < len(segment.keys) else 10_000
        counted = None
        if start is not None and start[0] == (value,):  # the position's own tie
            counted = ("lt" if segment.keys[-1][1] else "gt", self.catalogue.prefix + start[1])
        return c.narrow(segment.keys[level][0], Range(value, value)), None, False, limit, counted

    def tie_rows(self, segment: Segment, level: int, c: Constraints, value: float,
                 start: tuple[tuple[float, ...], str] | None, found: tuple[int, list[Row]],
                 need: int) -> list[Row]:
        """A group's rows as read whole, ordered by the next keys and id after `start`; one
        too big to read whole is paged by the next key instead."""
        total, got = found
        if level + 1 < len(segment.keys) and total > len(got):
            return self.by_next_key(segment, level, c, value, start, need)
        after = (start[0][1:], start[1]) if start and start[0][0] == value else None
        ordered = segment.sort(got, level + 1)
        if after is not None:
            ordered = [row for row in ordered if segment.follows(row, *after, level + 1)]
        return ordered[:need]

    def by_next_key(self, segment: Segment, level: int, c: Constraints, value: float,
                    start: tuple[tuple[float, ...], str] | None, need: int) -> list[Row]:
        """The pictures whose key `level` equals `value`, paged by the next key (a crowd,
        or a tie too big to read whole), after `start` when it lies in that value."""
        after = (start[0][1:], start[1]) if start and start[0][0] == value else None
        inside = c.narrow(segment.keys[level][0], Range(value, value))
        return self.scan(segment, level + 1, inside, after, need)

    def window(self, name: str, bound: Range, down: bool, target: int, c: Constraints,
               walk: bool = True) -> Range | None:
        """The part of `bound` next to its start that the summary says holds `target`
        matches (the rest of `bound` when it knows of no more), stopping short of a
        crowd; a crowd's value alone (`lo == hi`) once everything before it is read."""
        kind = summary.LUX if name == LUX else summary.NO_LUX if c.missing == LUX else summary.TIME
        edge, target = (bound.hi if down else bound.lo), target * AIM
        lux = c.range(LUX) if kind == summary.TIME else Range()
        known = self.buckets(kind, edge, down, target, lux, walk)
        if known is None:
            return None
        found, complete = known
        reached = 0.0
        for i, band in enumerate(found):
            lo, hi = summary.bounds(kind, band.number)
            value = summary.single_value(kind, band.number) if band.count > CROWD else None
            if value is not None and not bound.intersect(Range(value, value)).is_empty():
                before = bound.intersect(_beyond(value, not down))
                return Range(value, value) if before.is_empty() else before
            if not reached and value is None:
                # The first band holding any (a lux filter empties the nights): count
                # only its part ahead of the edge, as if its pictures were spread evenly
                # over it (over the current hour only up to now).
                if kind != summary.LUX:
                    hi = min(hi, max(time.time(), lo + 1))
                start = min(edge, hi) if down else max(edge, lo)
                reached = band.count * max(0, (start - lo) if down else (hi - start)) / (hi - lo)
                if reached >= target:
                    share = (hi - lo) * target / band.count
                    return bound.intersect(Range(lo=start - share) if down
                                           else Range(hi=start + share, hi_open=True))
            else:
                reached += band.count
            if reached >= target or (i == len(found) - 1 and not complete):
                return bound.intersect(Range(lo=lo) if down else Range(hi=hi, hi_open=True))
        return bound

    def buckets(self, kind: str, edge: float, down: bool, target: int, lux: Range,
                walk: bool = True) -> tuple[list[summary.Bucket], bool] | None:
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
        if not walk:
            return None
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
        self.sent += 1
        for (kind, edge, down, target, lux), got in zip(requests, found, strict=True):
            whole = sum(b.count for b in got) < target * AHEAD and len(got) < summary.MOST
            self.plans.append((kind, down, lux, edge, got, whole))
            if kind == summary.LUX:
                self.counts.update((b.number, b.count) for b in got)

    def read(self, searches: list[tuple[Constraints, str | None, bool, int,
                                        tuple[str, str] | None]], need: int
             ) -> list[tuple[int, list[Row]]]:
        """(total matching, the first `limit` rows) of each (constraints, sort field,
        descending, limit, which keys count), run in turn until their counted rows
        reach `need`, hashes read, in one call."""
        argvs = []
        for c, sort, down, limit, counted in searches:
            closed = {name: c.range(name).closed() for name in (TIMESTAMP, LUX)
                      if name in c.ranges}
            argvs.append((search_argv(
                self.catalogue.index, replace(c, ranges={**c.ranges, **closed}).text(),
                sort_field=sort, descending=down, limit=limit)[1:], counted))
        with timeouts():
            results = search_rows(self.r, argvs, need)
        self.sent += 1
        self.commands += [["FT.SEARCH", *argv] for argv, _ in argvs[:len(results)]]
        return [(total, [row for found in rows if (row := self._row(found))])
                for total, rows in results]

    def _row(self, found: FoundRow) -> Row | None:
        pk = found.key.decode().removeprefix(self.catalogue.prefix)
        stamp, lux = _float(found.values[_TS_AT]), _float(found.values[_LUX_AT])
        if is_valid_image_id(pk):
            if any(value is not None for value in found.values):
                return Row(pk, id_timestamp(pk) if stamp is None else stamp, lux, found)
        elif stamp is not None or lux is not None:
            return Row(pk, stamp or 0.0, lux)
        return None


def _float(value: bytes | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _alone_in_band(value: float) -> bool:
    """Whether `value` is the one value its lux band holds (only such a band is a crowd)."""
    return summary.single_value(summary.LUX, summary.bucket(summary.LUX, value)) == value


def _beyond(value: float, down: bool) -> Range:
    return Range(hi=value, hi_open=True) if down else Range(lo=value, lo_open=True)


def _past(window: Range, down: bool) -> Range:
    """What lies beyond `window`'s far end, in the direction of the order."""
    return (Range(hi=window.lo, hi_open=not window.lo_open) if down
            else Range(lo=window.hi, lo_open=not window.hi_open))

