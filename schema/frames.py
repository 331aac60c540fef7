"""Which pictures become a timelapse's frames: a view's matches, oldest first, thinned.

Three choices (`Choice`): every picture; at most one per interval (the first
picture, then the first taken at least `seconds` after the last one chosen); or
one per day, the picture closest to a time of day ("noon every day"). The day is
the camera's own calendar day, told by `timestamp - time_of_day` (the instant of
the camera's local midnight), so a day-light-saving change or a camera in another
zone does not split or merge days; pictures without `time_of_day` (the seed
project's hashes) have no day and are left out of that choice.

The matches are read a keyset page at a time through `query.search` (the same
pages as the gallery, oldest first) and thinned as they stream past, so memory
stays flat whatever the number of matches: the interval choice holds one time,
the daily choice one candidate. `count_frames` runs the same pass without reading
any picture's bytes, so a caller can say how many frames a choice yields before
encoding anything.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

import redis

from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .model import Image
from .query import Filters, QueryError, Sort, count, search
from .query.filters import MAX_LIMIT, format_time_of_day

DAY = 86400
MAX_THINNED = 100_000
"""Most matches the interval and daily choices read through: each is a row to stream
(about 4,000 a second on the loaded two-core development machine), and the count
runs inside a request."""
_INTERVAL = re.compile(r"([0-9]{1,5})\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": DAY}
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


class Pick(StrEnum):
    EVERY = "every"
    INTERVAL = "interval"
    DAILY = "daily"


@dataclass(frozen=True)
class Choice:
    """How to thin the matches: `seconds` is the interval, or the time of day for DAILY."""

    pick: Pick = Pick.EVERY
    seconds: int = 0

    def to_params(self) -> dict[str, str]:
        """The query-string form `parse_choice` reads back."""
        if self.pick is Pick.INTERVAL:
            return {"pick": "interval", "interval": _format_interval(self.seconds)}
        if self.pick is Pick.DAILY:
            return {"pick": "daily", "at": format_time_of_day(self.seconds)}
        return {"pick": "every"}

    def describe(self) -> str:
        if self.pick is Pick.INTERVAL:
            return f"at most one picture every {_format_interval(self.seconds)}"
        if self.pick is Pick.DAILY:
            return f"one picture a day, the closest to {format_time_of_day(self.seconds)}"
        return "every picture"


def _format_interval(seconds: int) -> str:
    for unit, size in (("d", DAY), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_choice(params: Mapping[str, str]) -> Choice:
    """`pick=every`, `pick=interval&interval=10m` (s, m, h or d), `pick=daily&at=12:00`."""
    pick = (params.get("pick") or "every").strip()
    if pick == Pick.EVERY:
        return Choice()
    if pick == Pick.INTERVAL:
        raw = (params.get("interval") or "").strip()
        match = _INTERVAL.fullmatch(raw)
        seconds = int(match.group(1)) * _UNITS[match.group(2)] if match else 0
        if not 1 <= seconds <= 366 * DAY:
            raise QueryError(
                "interval", f"{raw[:20]!r} is not an interval: use e.g. 30s, 10m, 2h or 1d"
            )
        return Choice(Pick.INTERVAL, seconds)
    if pick == Pick.DAILY:
        raw = (params.get("at") or "").strip()
        clock = _CLOCK.fullmatch(raw)
        if not clock:
            raise QueryError("at", f"{raw[:20]!r} is not a time of day: use HH:MM, e.g. 12:00")
        return Choice(Pick.DAILY, int(clock.group(1)) * 3600 + int(clock.group(2)) * 60)
    raise QueryError("pick", f"{pick[:20]!r} is not a choice: use every, interval or daily")


def frozen(filters: Filters, before: float) -> Filters:
    """`filters` up to `before`, so a camera still writing does not change a planned run."""
    end = before if filters.end is None else min(filters.end, before)
    return replace(filters, end=end)


def matches_oldest_first(
    r: redis.Redis, filters: Filters, *, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> Iterator[Image]:
    """Every picture matching `filters`, oldest first, read a page (100) at a time."""
    cursor = None
    while True:
        page = search(r, filters, Sort.OLDEST, MAX_LIMIT, cursor, catalogue=catalogue)
        yield from page.images
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _day(image: Image) -> int | None:
    if image.time_of_day is None:
        return None
    return math.floor((image.timestamp - image.time_of_day) / DAY + 0.5)


def _distance(image: Image, at: int) -> tuple[int, int]:
    """How far from `at` (seconds); on a tie the earlier picture wins."""
    tod = image.time_of_day or 0
    return abs(tod - at), 0 if tod <= at else 1


def thin(images: Iterable[Image], choice: Choice) -> Iterator[Image]:
    """The frames `choice` keeps from `images` (which must come oldest first)."""
    if choice.pick is Pick.EVERY:
        yield from images
    elif choice.pick is Pick.INTERVAL:
        last: float | None = None
        for image in images:
            if last is None or image.timestamp >= last + choice.seconds:
                last = image.timestamp
                yield image
    else:
        day: int | None = None
        best: Image | None = None
        for image in images:
            this_day = _day(image)
            if this_day is None:
                continue
            if this_day != day:
                if best is not None:
                    yield best
                day, best = this_day, image
            elif _distance(image, choice.seconds) < _distance(best, choice.seconds):
                best = image
        if best is not None:
            yield best


def frames(
    r: redis.Redis, filters: Filters, choice: Choice, *,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Iterator[Image]:
    """The frames of a timelapse, oldest first (metadata only; read bytes per frame)."""
    return thin(matches_oldest_first(r, filters, catalogue=catalogue), choice)


def count_frames(
    r: redis.Redis, filters: Filters, choice: Choice, *, stop_after: int,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> int:
    """How many frames `choice` yields, counting no further than `stop_after` + 1
    (enough to tell "too many"); a `QueryError` when the interval or daily choice would
    have to read more than `MAX_THINNED` matches."""
    matches = count(r, filters, catalogue=catalogue)[0]
    if choice.pick is Pick.EVERY:
        return matches
    if matches > MAX_THINNED:
        raise QueryError(
            "pick",
            f"{matches:,} pictures match; choosing among them reads each one, and this is "
            f"limited to {MAX_THINNED:,}: narrow the date range (or the time of day) first",
        )
    n = 0
    for _ in frames(r, filters, choice, catalogue=catalogue):
        n += 1
        if n > stop_after:
            break
    return n
