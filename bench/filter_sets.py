"""The filters the benchmark pages the gallery with, as URL parameters and as the same
FT.SEARCH query text."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FilterSet:
    name: str
    label: str
    params: dict[str, str]
    """The gallery's query string (all newest first, 24 per page)."""
    query: str
    """The same filter as RediSearch query text, for the floor and the count."""


def filter_sets(newest: float, oldest: float) -> list[FilterSet]:
    """The filter sets for a catalogue whose pictures span `oldest`..`newest`.

    The one-day set is the UTC day in the middle of the catalogue, so it is
    neither the top of the newest-first order nor empty.
    """
    day = (newest + oldest) / 2 // 86400 * 86400
    day_end = day + 86399
    return [
        FilterSet("newest", "first page, newest first", {}, "*"),
        FilterSet("lux", "lux 1,000-10,000", {"lux_min": "1000", "lux_max": "10000"},
             "@lux:[1000 10000]"),
        FilterSet("one_day", "one day (date range)", {"from": f"{day:.0f}", "to": f"{day_end:.0f}"},
             f"@timestamp:[{day:.0f} {day_end:.0f}]"),
        FilterSet("time_of_day", "06:00-08:00 every day", {"tod_from": "06:00", "tod_to": "08:00"},
             "@time_of_day:[21600 (28800]"),
        FilterSet(
            "combined", "camera + lux >= 500 + 06:00-10:00",
            {"camera": "feeder", "lux_min": "500", "tod_from": "06:00", "tod_to": "10:00"},
            "@camera:{feeder} @lux:[500 +inf] @time_of_day:[21600 (36000]",
        ),
    ]
