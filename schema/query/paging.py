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
            band = summary.bucket(summary.LUX, at) if position else 0
            if position and at == summary.single_value(summary.LUX, band):
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
        """Rows of `c` in the order of `segment`'s keys from `level`, after `start`."""
        name, down = segment.keys[level]
        bound, rows, target, rest = c.range(name), [], need, None
        if start is not None and level + 1 < len(segment.keys):
            # The rest of the position's value comes first, ordered by the next key:
            # read in the same call as the windows beyond it unless it is a crowd.
            value, after = start[0][0], (start[0][1:], start[1])
            inside = c.narrow(name, Range(value, value))
            bound = bound.intersect(_beyond(value, down))
            if self.crowded(value):
                rows = self.scan(segment, level + 1, inside, after, need)
            else:
                nxt, nxt_down = segment.keys[level + 1]
                rest = (inside.narrow(nxt, Range(hi=after[0][0]) if nxt_down
                                      else Range(lo=after[0][0])), nxt, nxt_down)
        elif start is not None:
            bound = bound.intersect(Range(hi=start[0][0]) if down else Range(lo=start[0][0]))
        while len(rows) < need and (rest or not bound.is_empty()):
            windows = self.windows(name, bound, down, target, c) if not bound.is_empty() else []
            if not windows and not rest:
                target *= GROWTH
                continue
            if windows and windows[0].lo == windows[0].hi:  # a crowd's value
                if not rest:
                    rows += self.group(segment, level, c, windows[0].lo, start, need - len(rows))
                    bound = bound.intersect(_beyond(windows[0].lo, down))
                    continue
                windows = []
            limit = need - len(rows) + SPARE
            results = self.read([rest] * bool(rest) + [(c.narrow(name, w), name, down)
                                                       for w in windows], limit)
            if rest:
                (total, got), results = results[0], results[1:]
                if total > len(got):  # the page ends at this value, as its rows say
                    cut = getattr(got[-1], rest[1])
                    rows += self.order(segment, level + 1,
                                       [row for row in got if getattr(row, rest[1]) != cut], after)
                    if len(rows) < need:  # a tie at that cut: read the value's rows whole
                        last = rows[-1] if rows else None
                        from_ = (segment.values(last), last.pk) if last else start
                        rows += self.group(segment, level, c, value, from_, need - len(rows))
                else:
                    rows += self.order(segment, level + 1, got, after)
                rest = None
            for window, (total, got) in zip(windows, results, strict=False):
                got = [row for row in got if getattr(row, name) is not None]
                if total > len(got) and got:
                    cut = getattr(got[-1], name)
                    rows += self.order(segment, level,
                                       [row for row in got if getattr(row, name) != cut], start)
                    if len(rows) < need:
                        rows += self.group(segment, level, c, cut, start, need - len(rows))
                    bound = bound.intersect(_beyond(cut, down))
                    break
                rows += self.order(segment, level, got, start)
                bound = bound.intersect(_past(window, down))
                target *= GROWTH  # it came up short: size the next for more
        return rows[:need]

    def crowded(self, value: float) -> bool:
        return self.counts.get(summary.bucket(summary.LUX, value), 0) > CROWD

    def windows(self, name: str, bound: Range, down: bool, target: int, c: Constraints
                ) -> list[Range]:
        """Up to CHAIN windows from the start of `bound`, each sized for GROWTH times the
        one before, read in one call until they hold the page; a crowd's value alone."""
        out: list[Range] = []
        while len(out) < CHAIN and not bound.is_empty():
            window = self.window(name, bound, down, target, c)
            if window.is_empty() or (out and window.lo == window.hi):
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
        name = segment.keys[level][0]
        inside = c.narrow(name, Range(value, value))
        rest = (start[0][1:], start[1]) if start and start[0][0] == value else None
        deeper = level + 1 < len(segment.keys)
        if deeper and self.crowded(value):
            return self.scan(segment, level + 1, inside, rest, need)
        [(total, got)] = self.read([(inside, None, False)], GROUP_READ if deeper else 10_000)
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
        self.sent += 1
        for (kind, edge, down, target, lux), got in zip(requests, found, strict=True):
            whole = sum(b.count for b in got) < target * AHEAD and len(got) < summary.MOST
            self.plans.append((kind, down, lux, edge, got, whole))
            if kind == summary.LUX:
                self.counts.update((b.number, b.count) for b in got)

    def read(self, searches: list[tuple[Constraints, str | None, bool]], limit: int
             ) -> list[tuple[int, list[Row]]]:
        """(total matching, the first `limit` rows) of each (constraints, sort field,
        descending), run in turn until they hold `limit` rows, hashes read, in one call."""
        argvs = []
        for c, sort, down in searches:
            closed = {name: c.range(name).closed() for name in (TIMESTAMP, LUX)
                      if name in c.ranges}
            argvs.append(search_argv(
                self.catalogue.index, replace(c, ranges={**c.ranges, **closed}).text(),
                sort_field=sort, descending=down, limit=limit)[1:])
        with timeouts():
            results = search_rows(self.r, argvs, limit)
        self.sent += 1
        self.commands += [["FT.SEARCH", *argv] for argv in argvs[:len(results)]]
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


def _start(down: bool) -> float:
    return math.inf if down else -math.inf


def _beyond(value: float, down: bool) -> Range:
    return Range(hi=value, hi_open=True) if down else Range(lo=value, lo_open=True)


def _past(window: Range, down: bool) -> Range:
    """What lies beyond `window`'s far end, in the direction of the order."""
    return (Range(hi=window.lo, hi_open=not window.lo_open) if down
            else Range(lo=window.hi, lo_open=not window.hi_open))

