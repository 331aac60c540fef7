"""The timeline above the grid, the day-and-hour heat map, and the timeline's JSON twin.

Both charts arrive after the grid (htmx `load`), like the count, so aggregating never
delays the pictures. Their fragment URLs carry the filters with times as Unix
seconds, and `tz` is the viewer's zone (added by `timeline.js`), which only decides
where calendar buckets start. Every bar and cell is a link to the gallery filtered
to it, so the charts work without JavaScript; with it, a click or a drag fills the
filter form, which then asks for the results as any filter change does.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta, tzinfo
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from picat.schema.profile import PRECISION, profile
from picat.schema.query import QueryError, render_command
from picat.schema.timeline import parse_unit, timeline

from .backend import backend
from .fragments import fragment
from .params import View, parse_view
from .svg import MAX_WIDTH, MIN_WIDTH, WIDTH, Link, heat_map, timeline_chart

bp = Blueprint("timeline", __name__)

UNIT_NAMES = {
    "minute": "minutes", "hour": "hours", "day": "days", "week": "weeks", "month": "months",
    "year": "years",
}
_MS = timedelta(milliseconds=1)


def heatmap_days() -> int:
    """`PICAT_HEATMAP_DAYS`: how many dates the heat map shows (read at start-up)."""
    return int(current_app.config["PICAT_HEATMAP_DAYS"])


def zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", "UTC")


def local_input(moment: datetime) -> str:
    """A `datetime-local` value: seconds and milliseconds only when they are not zero."""
    text = moment.strftime("%Y-%m-%dT%H:%M")
    if moment.second or moment.microsecond:
        text += moment.strftime(":%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text


class Links:
    """Gallery links that change some filters of a view and keep the others."""

    def __init__(self, view: View) -> None:
        self.view = view
        # Canonical parameters: times as Unix seconds, which need no zone.
        self.base = {k: v for k, v in view.params().items() if k != "tz"}

    def make(self, **changes: str | None) -> Link:
        params = dict(self.base)
        for name, value in changes.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = value
        if "from" in changes or "to" in changes:
            params["tz"] = zone_name(self.view.tz)
        shown = {name: value or "" for name, value in changes.items()}
        return Link(url_for("gallery.index") + "?" + urlencode(params), urlencode(shown))

    def span(self, start: float, end: float, **changes: str | None) -> Link:
        """[start, end): `to` is a millisecond before `end`, since the filter includes it."""
        tz = self.view.tz
        first = datetime.fromtimestamp(start, tz)
        last = datetime.fromtimestamp(end, tz) - _MS
        return self.make(**{"from": local_input(first), "to": local_input(last)}, **changes)

    def hours(self, hour: int) -> dict[str, str | None]:
        return {
            "tod_from": f"{hour:02d}:00",
            "tod_to": None if hour == 23 else f"{hour + 1:02d}:00",
        }

    def instants(self, first: float, last: float, **changes: str | None) -> Link:
        """From the first to the last of some pictures, to the millisecond around them.

        The heat map's dates are the camera's, which need not be the viewer's: links
        to its cells and dates use the capture times found there, not a local day.
        """
        tz = self.view.tz
        first, last = first - PRECISION, last + PRECISION  # MIN/MAX come back rounded
        start = datetime.fromtimestamp(math.floor(first * 1000) / 1000, tz)
        end = datetime.fromtimestamp(math.ceil(last * 1000) / 1000, tz)
        return self.make(**{"from": local_input(start), "to": local_input(end)}, **changes)


def drawing_width() -> float | None:
    """`width`: the CSS pixels of the chart's box, sent by the browser (timeline.js)."""
    raw = request.args.get("width", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 6:
        raise QueryError("width", f"{raw[:20]!r} is not a width in pixels")
    return float(min(MAX_WIDTH, max(MIN_WIDTH, int(raw))))


def _fragment_query(view: View, **extra: str) -> str:
    """The filters with times as Unix seconds: `tz` is added by the browser."""
    return urlencode({**view.filters.to_params(), **extra})


@bp.get("/timeline")
@fragment("timeline")
def chart() -> Response:
    """The timeline fragment: an SVG histogram with the mean-lux line, and its command."""
    view = parse_view(request.args)
    unit = parse_unit(request.args.get("bucket"))
    db = backend()
    result = timeline(db.redis, view.filters, view.tz, unit=unit, catalogue=db.catalogue)
    links = Links(view)
    drawn = timeline_chart(result, view.tz, links.span, drawing_width() or WIDTH)
    page = links.base
    buckets = [
        (
            name,
            url_for(".chart") + "?" + _fragment_query(view, bucket=name),
            url_for("gallery.index") + "?" + urlencode({**page, "bucket": name}) + "#timeline",
        )
        for name in ("auto", *UNIT_NAMES)
    ]
    return Response(
        render_template(
            "_timeline.html", timeline=result, chart=drawn, unit_names=UNIT_NAMES,
            buckets=buckets, chosen=request.args.get("bucket") or "auto", zone=zone_name(view.tz),
        )
    )


def _profile_days(view: View) -> int:
    """`PICAT_HEATMAP_DAYS`, or fewer when the range covers fewer dates."""
    days = heatmap_days()
    start, end = view.filters.start, view.filters.end
    if start is None:
        return days
    start, end = max(start, 0.0), max(time.time() if end is None else end, 0.0)
    first, last = (datetime.fromtimestamp(t, view.tz).date() for t in (start, end))
    return max(1, min(days, (last - first).days + 1))


@bp.get("/profile")
@fragment("profile")
def heat() -> Response:
    """The heat map fragment: pictures by hour (across) and date (down), coloured by lux."""
    view = parse_view(request.args)
    db = backend()
    result = profile(db.redis, view.filters, days=_profile_days(view), catalogue=db.catalogue)
    links = Links(view)
    drawn = heat_map(
        result,
        cell_link=lambda cell, hour: links.instants(cell.first, cell.last, **links.hours(hour)),
        day_link=lambda day: links.instants(*span) if (span := result.span(day)) else None,
        hour_link=lambda hour: links.make(**links.hours(hour)),
        width=drawing_width(),
    )
    return Response(render_template("_profile.html", profile=result, chart=drawn))


@bp.get("/api/timeline")
def api() -> Response:
    """Counts and mean lux per bucket for the gallery's filters, as JSON."""
    view = parse_view(request.args)
    unit = parse_unit(request.args.get("bucket"))
    db = backend()
    result = timeline(db.redis, view.filters, view.tz, unit=unit, catalogue=db.catalogue)
    tz = view.tz
    return jsonify(
        unit=result.unit,
        tz=zone_name(tz),
        total=result.total,
        buckets=[
            {
                "start": bucket.start,
                "end": bucket.end,
                "from": datetime.fromtimestamp(bucket.start, tz).isoformat(),
                "to": datetime.fromtimestamp(bucket.end, tz).isoformat(),
                "count": bucket.count,
                "mean_lux": bucket.mean_lux,
            }
            for bucket in result.buckets
        ],
        query="\n".join(render_command(argv) for argv in result.commands),
    )
