"""Geometry of the server-drawn charts: where each bar, line point, cell and label goes.

The browser gets plain SVG (bars are links, tooltips are `<title>`), so the charts
need no charting library and work without JavaScript. Only attributes carry the
geometry and colours: the Content-Security-Policy forbids inline styles.
Light is drawn on a log scale (`log10(1 + lux)`), since a day runs from 1 to 25,000 lux.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from picat.schema.profile import Cell, Profile
from picat.schema.timeline import Timeline

WIDTH = 1000.0
HEIGHT = 160.0
LEFT, RIGHT, TOP, BOTTOM = 8.0, 52.0, 8.0, 24.0
_MAX_LABELS = 8
_DARK = (32, 40, 72)  # night blue
_BRIGHT = (255, 196, 0)  # sunlight yellow


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    y: float
    height: float
    start: float
    end: float
    count: int
    label: str
    link: Link


@dataclass(frozen=True)
class Link:
    """A gallery URL (works without JavaScript) and the filter values it sets, for the form."""

    href: str
    filters: str


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str
    link: Link | None = None


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    lux_lines: list[str]
    x_ticks: list[Tick]
    lux_ticks: list[Tick]
    max_count: int
    width: float = WIDTH
    height: float = HEIGHT

    @property
    def baseline(self) -> float:
        return HEIGHT - BOTTOM


def lux_height(lux: float, top_lux: float) -> float:
    """0..1 on the log scale, relative to `top_lux`."""
    return math.log10(1 + max(lux, 0.0)) / math.log10(1 + max(top_lux, 1.0))


def lux_colour(lux: float | None, top_lux: float) -> str:
    """Night blue to sunlight yellow, by mean lux on the log scale; grey when unknown."""
    if lux is None:
        return "#9aa5b1"
    share = lux_height(lux, top_lux)
    rgb = (round(a + (b - a) * share) for a, b in zip(_DARK, _BRIGHT, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _tick_text(moment: datetime, unit: str, previous: datetime | None) -> str:
    if unit == "year":
        return f"{moment:%Y}"
    if unit == "month":
        return f"{moment:%b %Y}"
    if unit in ("day", "week"):
        return f"{moment:%d %b}"
    if previous is None or previous.date() != moment.date():
        return f"{moment:%d %b %H:%M}"
    return f"{moment:%H:%M}"


def bucket_label(start: float, end: float, count: int, mean_lux: float | None, tz: tzinfo) -> str:
    """The tooltip and accessible name of one bar."""
    first = datetime.fromtimestamp(start, tz)
    last = datetime.fromtimestamp(end, tz)
    same_day = (last - first).days < 1 and first.date() == last.date()
    span = f"{first:%a %d %b %Y %H:%M} to {last:%H:%M}" if same_day else (
        f"{first:%a %d %b %Y %H:%M} to {last:%a %d %b %H:%M}"
    )
    light = "" if mean_lux is None else f", mean {mean_lux:,.1f} lx"
    return f"{span}: {count:,} picture{'s' if count != 1 else ''}{light}"


def timeline_chart(timeline: Timeline, tz: tzinfo, link: Callable[[float, float], Link]) -> Chart:
    """Bars for counts, a line for mean lux; `link(start, end)` is what a bar selects."""
    buckets = timeline.buckets
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    base = HEIGHT - BOTTOM
    width = plot_w / max(len(buckets), 1)
    max_count = max((b.count for b in buckets), default=0)
    luxes = [b.mean_lux for b in buckets if b.mean_lux is not None]
    top_lux = max(luxes, default=1.0)

    bars, lines, points = [], [], []
    for i, bucket in enumerate(buckets):
        x = LEFT + i * width
        height = plot_h * bucket.count / max_count if max_count else 0.0
        if bucket.count and height < 1.5:
            height = 1.5  # one picture among thousands is still visible
        label = bucket_label(bucket.start, bucket.end, bucket.count, bucket.mean_lux, tz)
        bars.append(
            Bar(x, width, base - height, height, bucket.start, bucket.end, bucket.count, label,
                link(bucket.start, bucket.end))
        )
        if bucket.mean_lux is None:
            if len(points) > 1:
                lines.append(" ".join(points))
            points = []
            continue
        y = base - plot_h * lux_height(bucket.mean_lux, top_lux)
        points.append(f"{x + width / 2:.1f},{y:.1f}")
    if points:
        lines.append(" ".join(points) if len(points) > 1 else _dot(points[0]))

    step = max(1, math.ceil(len(buckets) / _MAX_LABELS))
    x_ticks, previous = [], None
    for i in range(0, len(buckets), step):
        moment = datetime.fromtimestamp(buckets[i].start, tz)
        text = _tick_text(moment, timeline.unit, previous)
        x_ticks.append(Tick(LEFT + i * width, HEIGHT - 6, text))
        previous = moment
    lux_ticks = [
        Tick(WIDTH - RIGHT + 4, base - plot_h * lux_height(10.0**k, top_lux) + 4, f"{10**k:,} lx")
        for k in range(0, 6)
        if 10**k <= top_lux
    ]
    return Chart(bars, lines, x_ticks, lux_ticks, max_count)


def _dot(point: str) -> str:
    """A single lux value as a tiny horizontal segment, so the polyline still shows."""
    x, y = (float(v) for v in point.split(","))
    return f"{x - 2:.1f},{y:.1f} {x + 2:.1f},{y:.1f}"


CELL_W, CELL_H = 16.0, 14.0
HEAT_LEFT, HEAT_TOP = 64.0, 16.0


@dataclass(frozen=True)
class HeatCell:
    x: float
    y: float
    fill: str
    label: str
    link: Link


@dataclass(frozen=True)
class HeatMap:
    cells: list[HeatCell]
    rows: list[Tick]
    columns: list[Tick]
    width: float
    height: float
    cell_w: float = CELL_W
    cell_h: float = CELL_H


def heat_map(
    profile: Profile,
    cell_link: Callable[[Cell, int], Link],
    day_link: Callable[[date], Link | None],
    hour_link: Callable[[int], Link],
) -> HeatMap:
    """Hours across, dates down (newest last), each cell coloured by its mean lux."""
    top_lux = profile.top_lux
    cells = []
    for row, day in enumerate(profile.days):
        for hour in range(24):
            cell = profile.cells.get((day, hour))
            if cell is None:
                continue
            light = "no lux" if cell.mean_lux is None else f"mean {cell.mean_lux:,.1f} lx"
            label = (
                f"{day:%a %d %b}, {hour:02d}:00 to {hour + 1:02d}:00: "
                f"{cell.count:,} picture{'s' if cell.count != 1 else ''}, {light}"
            )
            cells.append(
                HeatCell(HEAT_LEFT + hour * CELL_W, HEAT_TOP + row * CELL_H,
                         lux_colour(cell.mean_lux, top_lux), label, cell_link(cell, hour))
            )
    rows = [
        Tick(HEAT_LEFT - 4, HEAT_TOP + row * CELL_H + CELL_H - 3, f"{day:%a %d %b}", day_link(day))
        for row, day in enumerate(profile.days)
    ]
    columns = [
        Tick(HEAT_LEFT + hour * CELL_W + CELL_W / 2, HEAT_TOP - 4, f"{hour:02d}", hour_link(hour))
        for hour in range(0, 24, 3)
    ]
    return HeatMap(cells, rows, columns, HEAT_LEFT + 24 * CELL_W + 4,
                   HEAT_TOP + len(profile.days) * CELL_H + 4)
