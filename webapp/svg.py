"""Geometry of the server-drawn charts: where each bar, line point, cell and label goes.

The browser gets plain SVG (bars are links, tooltips are `<title>`), so the charts
need no charting library and work without JavaScript. Only attributes carry the
geometry and colours: the Content-Security-Policy forbids inline styles.
Light is drawn on a log scale (`log10(1 + lux)`), since a day runs from 1 to 25,000 lux.

Both charts are drawn at the width of the box they go into (the browser sends it as
`width`), one SVG unit to a CSS pixel, so their text is as large as the stylesheet
says (11 px) at every width instead of shrinking with the picture; labels are spaced
for that size.
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
LEFT, RIGHT, TOP, BOTTOM = 8.0, 62.0, 8.0, 24.0
MIN_WIDTH, MAX_WIDTH = 240, 2400
LABEL_SPACE = 110.0  # px between the starts of two time labels ("02 Dec 00:00" is ~75 px)
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


def timeline_chart(
    timeline: Timeline, tz: tzinfo, link: Callable[[float, float], Link], width: float = WIDTH
) -> Chart:
    """Bars for counts, a line for mean lux; `link(start, end)` is what a bar selects."""
    buckets = timeline.buckets
    chart_w = width
    plot_w = chart_w - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    base = HEIGHT - BOTTOM
    width = plot_w / max(len(buckets), 1)
    max_labels = max(2, int(plot_w // LABEL_SPACE))
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

    step = max(1, math.ceil(len(buckets) / max_labels))
    x_ticks, previous = [], None
    for i in range(0, len(buckets), step):
        moment = datetime.fromtimestamp(buckets[i].start, tz)
        text = _tick_text(moment, timeline.unit, previous)
        x_ticks.append(Tick(LEFT + i * width, HEIGHT - 6, text))
        previous = moment
    lux_ticks = [
        Tick(chart_w - RIGHT + 4, base - plot_h * lux_height(10.0**k, top_lux) + 4, f"{10**k:,} lx")
        for k in range(0, 6)
        if 10**k <= top_lux
    ]
    return Chart(bars, lines, x_ticks, lux_ticks, max_count, width=chart_w)


def _dot(point: str) -> str:
    """A single lux value as a tiny horizontal segment, so the polyline still shows."""
    x, y = (float(v) for v in point.split(","))
    return f"{x - 2:.1f},{y:.1f} {x + 2:.1f},{y:.1f}"


CELL_W, CELL_H = 16.0, 14.0
MIN_CELL_W, MAX_CELL_W = 9.0, 32.0
HEAT_LEFT, HEAT_TOP = 72.0, 18.0  # room for "Wed 02 Dec" and "00" at 11 px
LEGEND_H = 34.0
LEGEND_STEPS = 8


@dataclass(frozen=True)
class HeatCell:
    x: float
    y: float
    fill: str
    label: str
    link: Link


@dataclass(frozen=True)
class Swatch:
    """One step of the heat map's colour scale."""

    x: float
    fill: str


@dataclass(frozen=True)
class Legend:
    """The colour scale under the heat map: night blue to sunlight yellow, log lux."""

    y: float
    swatch_w: float
    swatches: list[Swatch]
    labels: list[Tick]
    unknown: Tick  # the grey of cells without lux


@dataclass(frozen=True)
class HeatMap:
    cells: list[HeatCell]
    rows: list[Tick]
    columns: list[Tick]
    width: float
    height: float
    legend: Legend | None = None
    cell_w: float = CELL_W
    cell_h: float = CELL_H


def heat_map(
    profile: Profile,
    cell_link: Callable[[Cell, int], Link],
    day_link: Callable[[date], Link | None],
    hour_link: Callable[[int], Link],
    width: float | None = None,
) -> HeatMap:
    """Hours across, dates down (newest last), each cell coloured by its mean lux.

    With `width` the cells share it (within limits); otherwise they are `CELL_W` wide.
    """
    top_lux = profile.top_lux
    cell_w = CELL_W if width is None else min(
        MAX_CELL_W, max(MIN_CELL_W, (width - HEAT_LEFT - 4) / 24)
    )
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
                HeatCell(HEAT_LEFT + hour * cell_w, HEAT_TOP + row * CELL_H,
                         lux_colour(cell.mean_lux, top_lux), label, cell_link(cell, hour))
            )
    rows = [
        Tick(HEAT_LEFT - 4, HEAT_TOP + row * CELL_H + CELL_H - 3, f"{day:%a %d %b}", day_link(day))
        for row, day in enumerate(profile.days)
    ]
    every = 3 if cell_w * 3 >= 20 else 6  # "00" is ~14 px wide at 11 px
    columns = [
        Tick(HEAT_LEFT + hour * cell_w + cell_w / 2, HEAT_TOP - 5, f"{hour:02d}", hour_link(hour))
        for hour in range(0, 24, every)
    ]
    grid_bottom = HEAT_TOP + len(profile.days) * CELL_H
    chart_w = HEAT_LEFT + 24 * cell_w + 4
    return HeatMap(
        cells, rows, columns, chart_w, grid_bottom + LEGEND_H,
        _legend(top_lux, grid_bottom + 8, chart_w), cell_w,
    )


def _legend(top_lux: float, y: float, chart_w: float) -> Legend:
    """`LEGEND_STEPS` swatches from 0 lux to the brightest mean, labelled at both ends."""
    swatch_w = min(24.0, (chart_w - HEAT_LEFT - 60) / LEGEND_STEPS)
    top = max(top_lux, 1.0)
    swatches = [
        Swatch(HEAT_LEFT + i * swatch_w, lux_colour((1 + top) ** (i / (LEGEND_STEPS - 1)) - 1, top))
        for i in range(LEGEND_STEPS)
    ]
    end = HEAT_LEFT + LEGEND_STEPS * swatch_w
    labels = [
        Tick(HEAT_LEFT - 4, y + 10, "mean lux"),
        Tick(HEAT_LEFT, y + 23, "0"),
        Tick(end, y + 23, f"{top:,.0f}"),
    ]
    return Legend(y, swatch_w, swatches, labels, Tick(end + 8, y + 10, "no lux"))
