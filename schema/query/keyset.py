"""Keyset paging over adaptive slabs: the cost of a page follows the page, not the catalogue.

FT.SEARCH pays for every document that matches before it sorts, so a page never
asks for "everything after the cursor". It asks for a slab of the sort field next
to the cursor (`@timestamp:[lo (hi]`), as wide as the density seen so far says
holds about twice the rows needed; the learned widths travel in the cursor. An
empty slab (a gap in time) makes the next one four times wider, and after three
the next value is located. Newest-first starts at the current time; the other
orders start at the extreme value of their field, found by one FT.AGGREGATE (a
pass over the matches, without sorting) and remembered. Lux slabs are counted
before they are sorted, because half a catalogue can share lux 0.

Ties are resolved exactly: a slab whose last value group was cut by `LIMIT` is
followed by a query for that value alone, ordered by the next key (or by image id
in Python), so a picture is never skipped or repeated, and pictures arriving above
the cursor cannot shift later pages.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from .commands import Row, Runner
from .cursor import Position
from .numbers import Range
from .order import Key, Segment
from .text import LUX, TIMESTAMP, Constraints

INITIAL_WIDTH = {TIMESTAMP: 3600.0, LUX: 16.0}
"""First slab widths: an hour of pictures, a dim band of lux."""

MAX_GROWTH = 16.0
GROW_WHEN_EMPTY = 4.0
DENSE_SLAB = 5000
"""A lux slab matching more than this is narrowed before it is sorted."""
MAX_REMEMBERED_STARTS = 1024
_STARTS: dict[tuple[str, str, bool], tuple[float, float]] = {}
"""Where open-ended views started last time, per index, query and direction."""
MAX_EMPTY_SLABS = 3
"""After this many empty slabs in a row (a gap of ~80 slab widths), locate the next
value with one FT.AGGREGATE instead of widening further."""
TIE_GROUP_FETCH = 1000


@dataclass
class Scanner:
    """Collects the next rows of one view, recording every FT.SEARCH it runs."""

    runner: Runner
    widths: dict[str, float] = field(default_factory=dict)
    crowds: dict[str, float] = field(default_factory=dict)
    """Values being paged as crowds, per segment and key, so a page need not recount."""

    def after(
        self, segments: tuple[Segment, ...], base: Constraints, position: Position | None,
        need: int,
    ) -> tuple[list[Row], list[int]]:
        """Up to `need` rows after `position` (from the start if None), and their segments."""
        rows: list[Row] = []
        where: list[int] = []
        first = position.segment if position else 0
        for index in range(first, len(segments)):
            if len(rows) >= need:
                break
            segment = segments[index]
            constraints = base.without(segment.missing) if segment.missing else base
            if not constraints.can_match():
                continue
            start = (position.values, position.image_id) if position and index == first else None
            got = self._collect(segment, index, 0, constraints, start, need - len(rows))
            rows += got
            where += [index] * len(got)
        return rows, where

    def _collect(
        self, segment: Segment, index: int, level: int, constraints: Constraints,
        start: tuple[tuple[float, ...], str] | None, need: int,
    ) -> list[Row]:
        """Rows in order of keys `level`.. within `constraints`, after `start` if given."""
        key = segment.keys[level]
        scope = constraints.range(key.field)
        rows: list[Row] = []
        if start is not None:
            values, last_id = start
            group = constraints.narrow(key.field, Range.point(values[0]))
            rows += self._group(
                segment, index, level, group, (values[1:], last_id), need,
                crowd=self.crowds.get(f"{index}.{level}") == values[0],
            )
            scope = scope.intersect(_beyond(key, values[0]))
        width_key = f"{index}.{level}"
        width = self.widths.get(width_key, INITIAL_WIDTH[key.field])
        empties = 0
        first_value: float | None = None
        while len(rows) < need and not scope.is_empty():
            # Newest-first from an open end guesses "now"; other open ends locate their start.
            guess_now = key.field == TIMESTAMP and key.descending
            if empties >= MAX_EMPTY_SLABS or not (guess_now or math.isfinite(_edge(key, scope))):
                located = self._locate(key, constraints, scope)
                if located is None:
                    break
                (scope, first_value), empties = located, 0
            slab = _slab_range(key, scope, width)
            if key.field == LUX:
                slab, point = self._tame(key, constraints, scope, slab, first_value)
                first_value = None
                if point is not None:
                    self.crowds[f"{index}.{level}"] = point
                    group = constraints.narrow(key.field, Range.point(point))
                    rows += self._group(
                        segment, index, level, group, None, need - len(rows), crowd=True
                    )
                    scope = scope.intersect(_beyond(key, point))
                    continue
            total, got, scope = self._read(
                segment, index, level, constraints, scope, slab, need - len(rows)
            )
            rows += got
            if total:
                width = self.widths[width_key] = _next_width(width, total, need)
            else:
                width, empties = width * GROW_WHEN_EMPTY, empties + 1
        return rows

    def _tame(
        self, key: Key, constraints: Constraints, scope: Range, slab: Range,
        first_value: float | None,
    ) -> tuple[Range, float | None]:
        """A lux slab cheap enough to sort, or the exact value of a crowd at its start.

        Lux is clumped (half of all pictures can share lux 0 at night), and sorting a
        slab costs in proportion to its matches, so lux slabs are counted first (a
        count costs about a fifth of a sort). A crowd on one value is returned as that
        value, to be read as a group in timestamp order, which stays cheap. Where the
        first value is known (the start of a view) it is checked for a crowd first.
        """
        if first_value is not None:
            point = constraints.narrow(key.field, Range.point(first_value))
            before = scope.intersect(
                Range(lo=first_value, lo_open=True) if key.descending
                else Range(hi=first_value, hi_open=True)
            )
            if (
                self.runner.count(point.text()) > DENSE_SLAB
                and self.runner.count(constraints.narrow(key.field, before).text()) == 0
            ):
                return slab, first_value
        total = self.runner.count(constraints.narrow(key.field, slab).text())
        if total <= DENSE_SLAB:
            return slab, None
        edge = _edge(key, scope)
        least = max(abs(edge), 1.0) * 1e-9
        start = _slab_range(key, scope, least)
        crowd, rows = self.runner.rows(
            constraints.narrow(key.field, start).text(), sort_field=None, descending=False,
            limit=1,
        )
        if crowd > DENSE_SLAB:
            value = getattr(rows[0], key.field) if rows else None
            point = constraints.narrow(key.field, Range.point(value)) if rows else None
            if point is not None and self.runner.count(point.text()) == crowd:
                return slab, value
            return start, None
        width = (slab.hi - slab.lo) if math.isfinite(slab.hi - slab.lo) else least
        while total > DENSE_SLAB and width > least:
            width = max(width * DENSE_SLAB / (2 * total), least)
            slab = _slab_range(key, scope, width)
            total = self.runner.count(constraints.narrow(key.field, slab).text())
        return slab, None

    def _locate(
        self, key: Key, constraints: Constraints, scope: Range
    ) -> tuple[Range, float] | None:
        """`scope` from the first value that matches (found by one FT.AGGREGATE), and
        that value as printed.

        The aggregate prints 12 significant digits, so the bound is moved out by one
        unit in that digit: the slab may start a hair early, never late. Where a view
        starts (an open end) is remembered, and reused while a count shows that
        nothing lies before it, which costs next to nothing; a start that moved on
        (the oldest pictures expired) only costs a few empty slabs, then a new look.
        """
        query = constraints.narrow(key.field, scope).text()
        remembered = (self.runner.catalogue.index, query, key.descending)
        opening = not math.isfinite(_edge(key, scope))
        known, printed = _STARTS.get(remembered, (None, 0.0)) if opening else (None, 0.0)
        if known is not None:
            before = (
                Range(lo=known, lo_open=True) if key.descending
                else Range(hi=known, hi_open=True)
            )
            earlier = constraints.narrow(key.field, scope.intersect(before))
            if self.runner.count(earlier.text()) == 0:
                bounded = scope.intersect(Range(hi=known) if key.descending else Range(lo=known))
                return bounded, printed
        edge = self.runner.extreme(query, key.field, key.descending)
        if edge is None:
            return None
        slack = 10.0 ** (math.floor(math.log10(abs(edge))) - 11) if edge else 0.0
        bound = edge + slack if key.descending else edge - slack
        if opening:
            if len(_STARTS) >= MAX_REMEMBERED_STARTS:
                _STARTS.clear()
            _STARTS[remembered] = (bound, edge)
        return scope.intersect(Range(hi=bound) if key.descending else Range(lo=bound)), edge

    def _group(
        self, segment: Segment, index: int, level: int, constraints: Constraints,
        start: tuple[tuple[float, ...], str] | None, need: int, *, crowd: bool = False,
    ) -> list[Row]:
        """Rows whose key `level` equals one value, in order of the next keys and id.

        A small group is read whole and ordered here. A crowd (thousands sharing one
        lux value) is paged by the next key like a view of its own.
        """
        query = constraints.text()
        if level + 1 < len(segment.keys) and (
            crowd or (start is not None and self.runner.count(query) > TIE_GROUP_FETCH)
        ):
            return self._collect(segment, index, level + 1, constraints, start, need)
        total, rows = self.runner.rows(
            query, sort_field=None, descending=False, limit=TIE_GROUP_FETCH
        )
        if total > len(rows):
            total, rows = self.runner.rows(query, sort_field=None, descending=False, limit=total)
        ordered = segment.sort(rows, level)
        if start is not None:
            values, last_id = start
            ordered = [row for row in ordered if segment.follows(row, values, last_id, level + 1)]
        return ordered[:need]

    def _read(
        self, segment: Segment, index: int, level: int, constraints: Constraints, scope: Range,
        slab: Range, need: int,
    ) -> tuple[int, list[Row], Range]:
        """(matches in `slab`, up to `need` rows from it in order, what remains of `scope`)."""
        key = segment.keys[level]
        total, rows = self.runner.rows(
            constraints.narrow(key.field, slab).text(), sort_field=key.field,
            descending=key.descending, limit=need + 1,
        )
        if total <= len(rows):
            return total, segment.sort(rows, level)[:need], scope.intersect(_past(key, slab))
        if not rows:
            return total, [], scope  # all deleted since the search: read the slab again
        cut = getattr(rows[-1], key.field)
        taken = segment.sort([row for row in rows if getattr(row, key.field) != cut], level)
        taken = taken[:need]
        if len(taken) < need:
            group = constraints.narrow(key.field, Range.point(cut))
            taken += self._group(segment, index, level, group, None, need - len(taken))
        return total, taken, scope.intersect(_beyond(key, cut))


def _edge(key: Key, scope: Range) -> float:
    """Where a scan of `scope` starts."""
    return scope.hi if key.descending else scope.lo


def _slab_range(key: Key, scope: Range, width: float) -> Range:
    """The next `width` of `scope` from its starting end (newest-first: from now if open)."""
    if key.descending:
        top = scope.hi if math.isfinite(scope.hi) else time.time()
        return scope.intersect(Range(lo=top - width))
    return scope.intersect(Range(hi=scope.lo + width))


def _beyond(key: Key, value: float) -> Range:
    """Everything strictly after `value` in the key's direction."""
    return Range(hi=value, hi_open=True) if key.descending else Range(lo=value, lo_open=True)


def _past(key: Key, slab: Range) -> Range:
    """Everything after a slab that has been read completely."""
    if key.descending:
        return Range(hi=slab.lo, hi_open=not slab.lo_open)
    return Range(lo=slab.hi, lo_open=not slab.hi_open)


def _next_width(width: float, total: int, need: int) -> float:
    """A width that should hold about twice the rows needed: shrink at once, grow gently."""
    return min(width * (2 * need + 2) / total, width * MAX_GROWTH)
