"""What the gallery asks for: filters, sort and page size, parsed from query-string values.

Every value is parsed into a number or a validated camera id here; nothing a user
typed travels further as text. Each failure names its parameter, so the page can
show the message next to the right field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum

from ..model import CAMERA_PATTERN
from .errors import QueryError
from .ranges import format_number

DEFAULT_LIMIT = 24
MAX_LIMIT = 100

_UNIX_SECONDS = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_TIME_OF_DAY = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?")
_LIMIT = re.compile(r"[0-9]{1,3}")
_EXPIRING = re.compile(r"([0-9]{1,5})([hd])")
MAX_EXPIRING_HOURS = 24 * 3650
FIRST_INSTANT = 0.0
LAST_INSTANT = 253_402_214_400.0
"""9999-12-31T00:00Z: still in year 9999 at UTC+14."""
_MAX_SHOWN = 40


class Sort(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    BRIGHTEST = "brightest"
    DARKEST = "darkest"


@dataclass(frozen=True)
class Filters:
    """A validated view: times are Unix seconds (inclusive), tod is seconds after midnight.

    The time-of-day window is `[tod_from, tod_to)`; when `tod_from > tod_to` it spans
    midnight (22:00 to 02:00). One end alone runs to the end or from the start of the day.
    `expiring` (seconds) keeps pictures whose expiry falls within that long from now; kept
    pictures never match.
    """

    start: float | None = None
    end: float | None = None
    lux_min: float | None = None
    lux_max: float | None = None
    camera: str | None = None
    tod_from: int | None = None
    tod_to: int | None = None
    expiring: int | None = None

    def to_params(self) -> dict[str, str]:
        """The canonical query-string form (only set values), for links and cursors."""
        params: dict[str, str] = {}
        for name, value in (
            ("from", self.start), ("to", self.end),
            ("lux_min", self.lux_min), ("lux_max", self.lux_max),
        ):
            if value is not None:
                params[name] = format_number(value)
        if self.camera is not None:
            params["camera"] = self.camera
        for name, seconds in (("tod_from", self.tod_from), ("tod_to", self.tod_to)):
            if seconds is not None:
                params[name] = format_time_of_day(seconds)
        if self.expiring is not None:
            params["expiring"] = f"{self.expiring // 3600}h"
        return params


def format_time_of_day(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def _shown(value: str) -> str:
    return repr(value if len(value) <= _MAX_SHOWN else value[:_MAX_SHOWN] + "...")


def _instant(name: str, value: str, tz: tzinfo) -> float:
    """Unix seconds, or ISO 8601 with or without offset (without: local time in `tz`).

    Only instants from 1970 to 9999-12-31T00:00Z, which every zone can show as a
    date (pages print the range back in the viewer's zone).
    """
    if _UNIX_SECONDS.fullmatch(value):
        seconds = float(value)
    else:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise QueryError(
                name,
                f"{_shown(value)} is not a date-time: use ISO 8601 such as 2026-11-26T06:00 "
                "or 2026-11-26T06:00:00+01:00, or Unix seconds",
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        seconds = moment.timestamp()
    if not FIRST_INSTANT <= seconds <= LAST_INSTANT:
        raise QueryError(name, f"{_shown(value)} is out of range: use a time from 1970 to 9999")
    return seconds


def _number(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise QueryError(name, f"{_shown(value)} is not a number") from None
    if not math.isfinite(number):
        raise QueryError(name, f"{_shown(value)} is not a finite number")
    return number


def _time_of_day(name: str, value: str) -> int:
    match = _TIME_OF_DAY.fullmatch(value)
    if not match:
        raise QueryError(name, f"{_shown(value)} is not a time of day: use HH:MM, e.g. 06:30")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _expiring(value: str) -> int:
    """`24h` or `1d`: whole hours or days, as seconds."""
    match = _EXPIRING.fullmatch(value)
    hours = int(match.group(1)) * (24 if match.group(2) == "d" else 1) if match else 0
    if not 1 <= hours <= MAX_EXPIRING_HOURS:
        raise QueryError(
            "expiring", f"{_shown(value)} is not a duration: use hours or days, e.g. 24h or 1d"
        )
    return hours * 3600


def _camera(value: str) -> str:
    if not CAMERA_PATTERN.fullmatch(value):
        raise QueryError(
            "camera",
            f"{_shown(value)} is not a camera id: 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
        )
    return value


def parse_filters(params: Mapping[str, str], tz: tzinfo) -> Filters:
    """Filters from query-string values; an empty or missing value means "not set"."""

    def get(name: str) -> str | None:
        value = params.get(name)
        value = value.strip() if isinstance(value, str) else None
        return value or None

    raw_from, raw_to = get("from"), get("to")
    start = _instant("from", raw_from, tz) if raw_from else None
    end = _instant("to", raw_to, tz) if raw_to else None
    if start is not None and end is not None and start > end:
        raise QueryError("to", "'to' is before 'from'")

    raw_min, raw_max = get("lux_min"), get("lux_max")
    lux_min = _number("lux_min", raw_min) if raw_min else None
    lux_max = _number("lux_max", raw_max) if raw_max else None
    if lux_min is not None and lux_max is not None and lux_min > lux_max:
        raise QueryError("lux_max", "the maximum lux is below the minimum")

    raw_camera = get("camera")
    raw_tod_from, raw_tod_to = get("tod_from"), get("tod_to")
    tod_from = _time_of_day("tod_from", raw_tod_from) if raw_tod_from else None
    tod_to = _time_of_day("tod_to", raw_tod_to) if raw_tod_to else None
    if tod_from is not None and tod_from == tod_to:
        raise QueryError("tod_to", "the time-of-day window is empty: 'to' equals 'from'")
    raw_expiring = get("expiring")

    return Filters(
        start=start, end=end, lux_min=lux_min, lux_max=lux_max,
        camera=_camera(raw_camera) if raw_camera else None,
        tod_from=tod_from, tod_to=tod_to,
        expiring=_expiring(raw_expiring) if raw_expiring else None,
    )


def parse_sort(value: str | None) -> Sort:
    """`newest` when not given."""
    if value is None or not value.strip():
        return Sort.NEWEST
    try:
        return Sort(value.strip())
    except ValueError:
        choices = ", ".join(sort.value for sort in Sort)
        raise QueryError("sort", f"{_shown(value)} is not a sort order: use {choices}") from None


def parse_limit(value: str | None) -> int:
    """Pictures per page: 24 when not given, 1 to 100."""
    if value is None or not value.strip():
        return DEFAULT_LIMIT
    text = value.strip()
    if not _LIMIT.fullmatch(text) or not 1 <= int(text) <= MAX_LIMIT:
        raise QueryError("limit", f"{_shown(value)} is not a page size: use 1 to {MAX_LIMIT}")
    return int(text)
