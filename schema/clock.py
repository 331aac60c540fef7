"""Wall-clock facts stored with each picture so time-of-day filters need no arithmetic in Redis.

`time_of_day` is seconds after local midnight where and when the picture was taken,
so "06:00 to 08:00 every day" is one numeric range, and stays right across a
daylight-saving change. `utc_offset` keeps the local time reconstructible.
"""

from __future__ import annotations

import math
from datetime import datetime, tzinfo

import redis

DAY = 86400
"""Seconds in a day: a time of day is in `[0, DAY)`."""
EARLIEST = 0.0
"""1970-01-01T00:00:00Z: the first valid capture time (a Pi without a real-time clock
boots there; nothing this catalogue stores is older)."""
LATEST = 7258118400.0
"""2200-01-01T00:00:00Z, excluded: the end of valid capture times. Every consumer
(timeline, heat map, zip, cursors, JSON) is correct up to it, in every zone; a file
dated later (an EXIF year 9999) is a wrong clock, not a picture from the future."""


def valid_capture_time(timestamp: float) -> bool:
    """Whether `timestamp` is in [EARLIEST, LATEST): what import and capture accept."""
    return math.isfinite(timestamp) and EARLIEST <= timestamp < LATEST

MIN_LIFETIME = 60.0
"""Seconds a picture must still have to live, by the server's clock, when it is written:
less, and its expiry is counted from its arrival instead (`capture.durable`)."""


def server_time(r: redis.Redis) -> float:
    """Redis's clock (TIME), which decides when keys expire: the writer's may be wrong."""
    seconds, microseconds = r.time()
    return seconds + microseconds / 1e6


def local_time_fields(timestamp: float, tz: tzinfo | None = None) -> tuple[int, int]:
    """(time_of_day, utc_offset) in seconds for a Unix time in zone `tz` (system zone if None)."""
    local = (
        datetime.fromtimestamp(timestamp, tz)
        if tz
        else datetime.fromtimestamp(timestamp).astimezone()
    )
    offset = local.utcoffset()
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    return seconds, int(offset.total_seconds()) if offset is not None else 0
