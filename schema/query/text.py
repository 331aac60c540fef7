"""Query text for `idx:images`: every clause is built from parsed values, never raw input."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace

from ..clock import DAY
from .filters import Filters
from .ranges import INF, Range

TIMESTAMP = "timestamp"
LUX = "lux"
CAMERA = "camera"
TIME_OF_DAY = "time_of_day"
EXPIRES_AT = "expires_at"

_TAG_SPECIAL = re.compile(r"([^A-Za-z0-9_])")


def escape_tag(value: str) -> str:
    """RediSearch TAG escaping: a backslash before every character that is not a word character."""
    return _TAG_SPECIAL.sub(r"\\\1", value)


def _time_of_day_clause(tod_from: int | None, tod_to: int | None) -> str | None:
    """`[from, to)`; a window across midnight is the union of its two halves."""
    if tod_from is None and tod_to is None:
        return None
    start = 0 if tod_from is None else tod_from
    stop = DAY if tod_to is None else tod_to
    if start < stop:
        return Range(start, stop, hi_open=True).clause(TIME_OF_DAY)
    late = Range(start).clause(TIME_OF_DAY)
    early = Range(hi=stop, hi_open=True).clause(TIME_OF_DAY)
    return f"({late} | {early})"


@dataclass(frozen=True)
class Constraints:
    """Filters plus the ranges paging adds, rendered as one DIALECT 2 query string.

    Ranges on the same field are merged into one clause, so a page's slab and the
    user's date range cost one numeric iterator, not two. Other packages make one
    with `from_filters`, narrow it with `taken_within`, `expiring_only` and
    `with_time_of_day`, and read `text()` and `can_match()`; the field-level
    `narrow`, `without` and `range` are the paging code's.
    """

    ranges: dict[str, Range] = field(default_factory=dict)
    camera: str | None = None
    tod_from: int | None = None
    tod_to: int | None = None
    missing: str | None = None

    @classmethod
    def from_filters(cls, filters: Filters) -> Constraints:
        ranges = {}
        if filters.start is not None or filters.end is not None:
            ranges[TIMESTAMP] = Range(
                -INF if filters.start is None else filters.start,
                INF if filters.end is None else filters.end,
            )
        if filters.lux_min is not None or filters.lux_max is not None:
            ranges[LUX] = Range(
                -INF if filters.lux_min is None else filters.lux_min,
                INF if filters.lux_max is None else filters.lux_max,
            )
        if filters.expiring is not None:
            # Relative to now: each page asks afresh, so "within a day" stays true.
            ranges[EXPIRES_AT] = Range(-INF, time.time() + filters.expiring)
        return cls(ranges, filters.camera, filters.tod_from, filters.tod_to)

    def taken_within(self, start: float | None = None, end: float | None = None) -> Constraints:
        """Only pictures taken from `start` to `end`, both inclusive (None: no bound)."""
        if start is None and end is None:
            return self
        return self.narrow(TIMESTAMP, Range(-INF if start is None else start,
                                            INF if end is None else end))

    def expiring_only(self) -> Constraints:
        """Only pictures that expire: a kept picture has no `expires_at` in the index."""
        return self.narrow(EXPIRES_AT, Range())

    def with_time_of_day(self) -> Constraints:
        """Only pictures whose time of day at the camera is known."""
        return self.narrow(TIME_OF_DAY, Range(0, DAY))

    def range(self, name: str) -> Range:
        return self.ranges.get(name, Range())

    def narrow(self, name: str, extra: Range) -> Constraints:
        return replace(self, ranges={**self.ranges, name: self.range(name).intersect(extra)})

    def without(self, name: str) -> Constraints:
        """Only pictures that have no value for `name` (e.g. imports without lux)."""
        return replace(self, missing=name)

    def can_match(self) -> bool:
        if any(r.is_empty() for r in self.ranges.values()):
            return False
        return self.missing is None or self.missing not in self.ranges

    def text(self) -> str:
        clauses = [self.ranges[name].clause(name) for name in sorted(self.ranges)]
        if self.camera is not None:
            clauses.append(f"@{CAMERA}:{{{escape_tag(self.camera)}}}")
        tod = _time_of_day_clause(self.tod_from, self.tod_to)
        if tod:
            clauses.append(tod)
        if self.missing is not None:
            clauses.append(f"-{Range().clause(self.missing)}")
        return " ".join(clauses) or "*"
