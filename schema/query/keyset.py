"""Keyset paging over adaptive slabs: the cost of a page follows the page, not the catalogue.

FT.SEARCH pays for every document that matches before it sorts, so a page never
asks for "everything after the cursor". It asks for a slab of the sort field next
to the cursor (`@timestamp:[lo (hi]`), sized from the density seen so far: an
empty slab makes the next one four times wider; a slab that matched more than it
needed makes the next one narrower. The learned widths travel in the cursor.

Ties are resolved exactly: a slab whose last value group was cut by `LIMIT` is
followed by a query for that value alone, ordered by the next key (or by image id
in Python), so a picture is never skipped or repeated, and pictures arriving above
the cursor cannot shift later pages.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from ..model import Image
from .commands import Runner
from .cursor import Position
from .numbers import INF, Range
from .order import Key, Segment
from .text import LUX, TIMESTAMP, Constraints

INITIAL_WIDTH = {TIMESTAMP: 3600.0, LUX: 16.0}
"""First slab widths: an hour of pictures, a dim band of lux."""

GROW = 4.0
MAX_STEP = 16.0
TIE_GROUP_FETCH = 1000
OPEN_END_ANCHOR = {TIMESTAMP: None, LUX: 1000.0}
"""Where the first slab starts when the sort runs from an open end (None: now)."""


def _anchor(name: str) -> float:
    anchor = OPEN_END_ANCHOR.get(name)
    return time.time() if anchor is None else anchor


@dataclass
class Scanner:
    """Collects the next rows of one view, recording every FT.SEARCH it runs."""

    runner: Runner
    widths: dict[str, float] = field(default_factory=dict)

    def after(
        self, segments: tuple[Segment, ...], base: Constraints, position: Position | None,
        need: int,
    ) -> tuple[list[Image], list[int]]:
        """Up to `need` rows after `position` (from the start if None), and their segments."""
        rows: list[Image] = []
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
    ) -> list[Image]:
        key = segment.keys[level]
        scope = constraints.range(key.field)
        rows: list[Image] = []
        if start is not None:
            values, last_id = start
            group = constraints.narrow(key.field, Range.point(values[0]))
            rows += self._group(segment, index, level, group, (values[1:], last_id), need)
            scope = scope.intersect(_beyond(key, values[0]))
        while len(rows) < need and not scope.is_empty():
            got, scope = self._slab(segment, index, level, constraints, scope, need - len(rows))
            rows += got
        return rows

    def _group(
        self, segment: Segment, index: int, level: int, constraints: Constraints,
        start: tuple[tuple[float, ...], str] | None, need: int,
    ) -> list[Image]:
        """Rows whose key `level` equals one value, in order of the next keys and id."""
        if level + 1 < len(segment.keys):
            return self._collect(segment, index, level + 1, constraints, start, need)
        key = segment.keys[level]
        total, rows = self.runner.rows(
            constraints.text(), sort_field=key.field, descending=key.descending,
            limit=TIE_GROUP_FETCH,
        )
        if total > len(rows):
            total, rows = self.runner.rows(
                constraints.text(), sort_field=key.field, descending=key.descending, limit=total
            )
        ordered = segment.sort(rows, level)
        if start is not None:
            last_id = start[1]
            ordered = [
                row for row in ordered
                if (row.pk < last_id if segment.ids_descending else row.pk > last_id)
            ]
        return ordered[:need]

    def _slab(
        self, segment: Segment, index: int, level: int, constraints: Constraints, scope: Range,
        need: int,
    ) -> tuple[list[Image], Range]:
        """Rows from the next slab of `scope`, and what remains of `scope` after them."""
        key = segment.keys[level]
        width_key = f"{index}.{level}"
        width = self.widths.get(width_key, INITIAL_WIDTH[key.field])
        slab = _slab_range(key, scope, width)
        total, rows = self.runner.rows(
            constraints.narrow(key.field, slab).text(), sort_field=key.field,
            descending=key.descending, limit=need + 1,
        )
        self.widths[width_key] = _next_width(width, total, need)
        if total <= len(rows):
            return segment.sort(rows, level)[:need], scope.intersect(_past(key, slab))
        cut = getattr(rows[-1], key.field)
        whole = [row for row in rows if getattr(row, key.field) != cut]
        taken = segment.sort(whole, level)[:need]
        if len(taken) < need:
            group = constraints.narrow(key.field, Range.point(cut))
            taken += self._group(segment, index, level, group, None, need - len(taken))
        return taken, scope.intersect(_beyond(key, cut))


def _beyond(key: Key, value: float) -> Range:
    """Everything strictly after `value` in the key's direction."""
    return Range(hi=value, hi_open=True) if key.descending else Range(lo=value, lo_open=True)


def _past(key: Key, slab: Range) -> Range:
    """Everything after a slab that has been read completely."""
    if key.descending:
        return Range(hi=slab.lo, hi_open=not slab.lo_open)
    return Range(lo=slab.hi, lo_open=not slab.hi_open)


def _slab_range(key: Key, scope: Range, width: float) -> Range:
    """The next `width` of `scope` in the key's direction (from now/an anchor if open).

    Once the width reaches the magnitude of its starting value the slab runs to the
    open end, so a scan that finds nothing more ends after a dozen empty slabs.
    """
    if key.descending:
        top = scope.hi if math.isfinite(scope.hi) else _anchor(key.field)
        far = width >= max(abs(top), 1.0)
        slab = Range(lo=-INF if far else top - width)
    else:
        bottom = scope.lo if math.isfinite(scope.lo) else _anchor(key.field)
        far = width >= max(abs(bottom), 1.0)
        slab = Range(hi=INF if far else bottom + width)
    return scope.intersect(slab)


def _next_width(width: float, total: int, need: int) -> float:
    """Aim for about twice the rows needed; move at most 16x per step."""
    if total == 0:
        return width * GROW
    wanted = width * (2 * need + 2) / total
    return min(max(wanted, width / MAX_STEP), width * MAX_STEP)
