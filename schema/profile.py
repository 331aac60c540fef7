"""Pictures by hour of day and local date, with their mean lux: the data of the heat map.

One FT.AGGREGATE groups the last days of a range by the camera's local date and
hour, without any calendar arithmetic in RediSearch: the hour is
`floor(@time_of_day / 3600)`, and `@timestamp - @time_of_day` is the instant of the
camera's local midnight, so `floor((@timestamp - @time_of_day + 43200) / 86400)` is
the local date as a day number (exact for cameras within
UTC-11 and UTC+11, daylight saving included; further east it names the day before).
`time_of_day` is indexed but not SORTABLE, so the aggregation must `LOAD` it from
each hash: the heat map reads one field per picture of its window, which is why it
covers a few weeks, not the whole range. (`utc_offset` would make the date exact
everywhere, but a hash without it fails the whole aggregation, and RediSearch 2.10
has no `if()` to guard it.)
Mean lux is `SUM(lux) / SUM(exists(lux))`, as in the timeline, because `REDUCE AVG`
counts a picture without lux as 0. Pictures without `time_of_day` (seed hashes) have
no place in this chart and are left out by the query.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

import redis

from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .clock import DAY
from .query import Constraints, Filters, aggregate_argv, run_search

DEFAULT_DAYS = 14
MAX_DAYS = 62
_EPOCH = date(1970, 1, 1)
PRECISION = 0.01  # seconds: how far `Cell.first` and `Cell.last` may be off, with margin



@dataclass(frozen=True)
class Cell:
    """One hour of one date; `first` and `last` are the capture times of its pictures.

    RediSearch returns MIN and MAX with 12 significant digits, so for today's Unix
    times they are within 5 ms of the stored value (see `PRECISION`).
    """

    count: int
    mean_lux: float | None
    first: float
    last: float


@dataclass(frozen=True)
class Profile:
    """`cells[(day, hour)]` for the `days` shown (oldest first); empty cells are absent."""

    days: list[date]
    cells: dict[tuple[date, int], Cell]
    commands: list[list[str]]

    def span(self, day: date) -> tuple[float, float] | None:
        """The first and last capture time on `day`, None when it has no pictures."""
        cells = [cell for (d, _), cell in self.cells.items() if d == day]
        if not cells:
            return None
        return min(c.first for c in cells), max(c.last for c in cells)

    @property
    def top_lux(self) -> float:
        return max((c.mean_lux for c in self.cells.values() if c.mean_lux is not None), default=1.0)


def profile_argv(index: str, query: str, rows: int) -> list[str]:
    return aggregate_argv(
        index, query,
        "LOAD", "1", "@time_of_day",
        "APPLY", "floor((@timestamp - @time_of_day + 43200) / 86400)", "AS", "day",
        "APPLY", "floor(@time_of_day / 3600)", "AS", "hour",
        "APPLY", "exists(@lux)", "AS", "has_lux",
        "GROUPBY", "2", "@day", "@hour",
        "REDUCE", "COUNT", "0", "AS", "pictures",
        "REDUCE", "SUM", "1", "@lux", "AS", "lux_sum",
        "REDUCE", "SUM", "1", "@has_lux", "AS", "lux_pictures",
        "REDUCE", "MIN", "1", "@timestamp", "AS", "first",
        "REDUCE", "MAX", "1", "@timestamp", "AS", "last",
        "LIMIT", "0", str(rows),
    )  # fmt: skip


def profile(
    r: redis.Redis,
    filters: Filters,
    *,
    days: int = DEFAULT_DAYS,
    now: float | None = None,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Profile:
    """The last `days` local dates up to the range's end (or now), by hour."""
    end = filters.end if filters.end is not None else (time.time() if now is None else now)
    end = max(end, float(days * DAY))  # no picture predates 1970; dates there stay valid
    constraints = (
        Constraints.from_filters(filters)
        .taken_within(end - (days + 1) * DAY, end)
        .with_time_of_day()
    )
    argv = profile_argv(catalogue.index, constraints.text(), (days + 3) * 24)
    found: dict[tuple[date, int], Cell] = {}
    if constraints.can_match():
        for row in run_search(r, argv)[1:]:
            fields = {row[i].decode(): row[i + 1] for i in range(0, len(row), 2)}
            day = _EPOCH + timedelta(days=int(float(fields["day"])))
            lux_pictures = int(float(fields.get("lux_pictures") or 0))
            mean = float(fields.get("lux_sum") or 0) / lux_pictures if lux_pictures else None
            found[(day, int(float(fields["hour"])))] = Cell(
                int(fields["pictures"]), mean, float(fields["first"]), float(fields["last"])
            )
    # The end's date at the camera is between its UTC date and the next one (UTC+14).
    latest = _EPOCH + timedelta(seconds=end)
    last = max((d for d, _ in found if d <= latest + timedelta(days=1)), default=latest)
    shown = [last - timedelta(days=days - 1 - i) for i in range(days)]
    cells = {key: cell for key, cell in found.items() if shown[0] <= key[0] <= last}
    return Profile(shown, cells, [argv])
