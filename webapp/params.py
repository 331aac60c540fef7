"""One gallery view from a query string: the same parameters for pages, fragments and JSON.

The browser sends its time zone as `tz` (an IANA name), so a `from` typed into a
date-time field means the viewer's local time; without `tz`, naive times are UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from picat.schema.query import (
    Filters,
    QueryError,
    Sort,
    parse_filters,
    parse_limit,
    parse_sort,
)

FILTER_FIELDS = ("from", "to", "lux_min", "lux_max", "camera", "tod_from", "tod_to", "expiring")
VIEW_FIELDS = (*FILTER_FIELDS, "sort", "tz")
DEFAULT_LIMIT = parse_limit(None)
_MAX_ZONE_NAME = 64


def parse_tz(value: str | None) -> tzinfo:
    """An IANA zone such as `Europe/Berlin`; UTC when not given."""
    name = (value or "").strip()
    if not name or name == "UTC":
        return UTC
    try:
        if len(name) > _MAX_ZONE_NAME:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        shown = name if len(name) <= 40 else name[:40] + "..."
        raise QueryError("tz", f"{shown!r} is not a time zone name such as Europe/Berlin") from None


@dataclass(frozen=True)
class View:
    """What to show: validated filters and sort, the page size, and where the page starts."""

    filters: Filters
    sort: Sort
    limit: int
    cursor: str | None
    tz: tzinfo
    raw: dict[str, str]

    def params(self, **extra: str) -> dict[str, str]:
        """Canonical parameters of this view (for links, cursors, polling), plus `extra`."""
        params = self.filters.to_params()
        if "tz" in self.raw and (self.filters.start is not None or self.filters.end is not None):
            params["tz"] = self.raw["tz"]
        if self.sort is not Sort.NEWEST:
            params["sort"] = self.sort.value
        if self.limit != DEFAULT_LIMIT:
            params["limit"] = str(self.limit)
        params.update(extra)
        return params

    def query_string(self, **extra: str) -> str:
        return urlencode(self.params(**extra))

    def describe(self) -> list[str]:
        """The active filters in words, for an empty result that says why."""
        f = self.filters
        parts = []
        if f.start is not None:
            parts.append(f"from {self._local(f.start)}")
        if f.end is not None:
            parts.append(f"until {self._local(f.end)}")
        if f.tod_from is not None or f.tod_to is not None:
            start = self.raw.get("tod_from", "00:00")
            end = self.raw.get("tod_to", "24:00")
            parts.append(f"between {start} and {end} on any day (camera time)")
        if f.lux_min is not None:
            parts.append(f"with at least {f.lux_min:g} lx")
        if f.lux_max is not None:
            parts.append(f"with at most {f.lux_max:g} lx")
        if f.camera is not None:
            parts.append(f"by camera {f.camera}")
        if f.expiring is not None:
            parts.append(f"expiring within {f.expiring // 3600} hours")
        return parts

    def _local(self, seconds: float) -> str:
        moment = _moment(seconds, self.tz)
        if moment is None:
            return f"{seconds:g} (Unix seconds)"
        return f"{moment:%Y-%m-%d %H:%M} ({getattr(self.tz, 'key', 'UTC')})"

    def local_input(self, field: str) -> str:
        """The value for a `datetime-local` field, in the viewer's zone (empty if it has none)."""
        seconds = self.filters.start if field == "from" else self.filters.end
        moment = None if seconds is None else _moment(seconds, self.tz)
        if moment is None:
            return ""
        return moment.strftime("%Y-%m-%dT%H:%M" + (":%S" if moment.second else ""))


def _moment(seconds: float, tz: tzinfo) -> datetime | None:
    """`seconds` in `tz`, or None where no date can show it (before year 1, after 9999)."""
    try:
        return datetime.fromtimestamp(seconds, tz)
    except (ValueError, OverflowError, OSError):
        return None


def raw_params(args: Mapping[str, str]) -> dict[str, str]:
    """The non-empty known parameters, trimmed, in a stable order."""
    raw = {}
    for name in (*VIEW_FIELDS, "limit"):
        value = args.get(name, "")
        if isinstance(value, str) and value.strip():
            raw[name] = value.strip()
    return raw


def shareable_query(raw: Mapping[str, str]) -> str:
    """The parameters as the viewer wrote them (local times stay readable), for the URL.

    `tz` only matters to `from` and `to`, and `newest` is the default order.
    """
    shown = dict(raw)
    if not (shown.get("from") or shown.get("to")):
        shown.pop("tz", None)
    if shown.get("sort") == Sort.NEWEST.value:
        shown.pop("sort")
    return urlencode(shown)


def parse_view(args: Mapping[str, str]) -> View:
    """A `View`, or the first `QueryError` naming the parameter to fix."""
    tz = parse_tz(args.get("tz"))
    cursor = (args.get("cursor") or "").strip() or None
    return View(
        filters=parse_filters(args, tz),
        sort=parse_sort(args.get("sort")),
        limit=parse_limit(args.get("limit")),
        cursor=cursor,
        tz=tz,
        raw=raw_params(args),
    )
