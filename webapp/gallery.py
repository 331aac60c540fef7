"""The gallery (`/`), the same view as JSON (`/api/images`), and the fragments htmx
swaps into the page.

`/` renders a whole page and `/api/images` the same pictures as JSON, from one
handler (as Datasette answers `/table` and `/table.json`); a filter change asks
`/results` for the part below the filters and pushes a shareable `/?...` URL;
`/more` appends the next keyset page; `/count` and `/new` arrive after the grid, so
counting never delays it. A bad parameter is a 400 whose message sits next to the
field it concerns (in JSON: `{"error": ...}`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from flask import Blueprint, Response, jsonify, render_template, request

from picat.schema.query import (
    Page,
    QueryError,
    Sort,
    count,
    count_newer,
    render_command,
    search,
)
from picat.schema.timeline import parse_unit

from .backend import backend
from .display import cards, images_json
from .fragments import fragment
from .params import FILTER_FIELDS, View, parse_view, raw_params, shareable_query

bp = Blueprint("gallery", __name__)

ERROR_SLOTS = (*FILTER_FIELDS, "sort", "other")


@dataclass
class Outcome:
    """A view and its page of pictures, or the error that stopped it."""

    raw: dict[str, str]
    view: View | None = None
    page: Page | None = None
    error: QueryError | None = None
    errors: dict[str, str] = field(default_factory=dict)
    """The error's message in the form field it concerns ("other" for the rest)."""
    since: float = 0.0

    @property
    def status(self) -> int:
        return 400 if self.errors else 200

    @property
    def active_filters(self) -> int:
        """How many filters the viewer set: the number on the phone's "Filters" button."""
        return sum(1 for name in FILTER_FIELDS if self.raw.get(name))

    def value(self, name: str, default: str = "") -> str:
        """What a form field shows: the viewer's input, dates in the view's zone.

        A URL with dates but no `tz` shows them in UTC, and says so in the hidden `tz`
        field, so the browser does not later read them in its own zone.
        """
        if name in ("from", "to") and self.view is not None:
            return self.view.local_input(name)
        if name == "tz" and "tz" not in self.raw and self.view is not None:
            dated = self.view.filters.start is not None or self.view.filters.end is not None
            return "UTC" if dated else ""
        return self.raw.get(name, default)


def _run() -> Outcome:
    outcome = Outcome(raw=raw_params(request.args))
    try:
        outcome.view = parse_view(request.args)
        db = backend()
        outcome.page = search(
            db.redis,
            outcome.view.filters,
            outcome.view.sort,
            outcome.view.limit,
            outcome.view.cursor,
            catalogue=db.catalogue,
        )
    except QueryError as exc:
        outcome.error = exc
        outcome.errors[exc.field if exc.field in ERROR_SLOTS else "other"] = exc.message
        return outcome
    images = outcome.page.images
    newest_first = outcome.view.sort is Sort.NEWEST and outcome.view.cursor is None
    outcome.since = images[0].timestamp if newest_first and images else time.time()
    return outcome


def _bucket() -> str:
    """The timeline's bucket size (`bucket`, as its own links set it), or "" for automatic."""
    value = request.args.get("bucket")
    return (parse_unit(value) or "") if value else ""


def _render(template: str, outcome: Outcome, **context: object) -> Response:
    shown = (
        cards(outcome.page.images, outcome.view.query_string())
        if outcome.page and outcome.view else []
    )
    html = render_template(
        template, o=outcome, cards=shown, error_slots=ERROR_SLOTS, bucket=_bucket(), **context
    )
    return Response(html, status=outcome.status)


@bp.get("/")
@bp.get("/api/images", endpoint="images_json")
def index() -> Response:
    """The whole gallery page, or at `/api/images` its pictures as JSON; `cursor` starts
    it further down (the no-script "more" link, the API's `next_cursor`)."""
    outcome = _run()
    if request.endpoint == "gallery.images_json":
        return _json(outcome)
    return _render("gallery.html", outcome)


def _json(outcome: Outcome) -> Response:
    """The pictures, the cursor of the next page and the commands that found them."""
    if outcome.error is not None:
        raise outcome.error  # the app's error handler answers {"error": ...}, 400
    assert outcome.view is not None and outcome.page is not None
    page = outcome.page
    return jsonify(
        images=images_json(page.images, outcome.view.query_string()),
        next_cursor=page.next_cursor,
        query="\n".join(render_command(argv) for argv in [page.view_command, *page.commands]),
    )


@bp.get("/results")
@fragment("results")
def results() -> Response:
    """Everything under the filters, for htmx; the browser's URL becomes the shareable one."""
    outcome = _run()
    response = _render("_results.html", outcome, oob=True)
    query = shareable_query(outcome.raw)
    response.headers["HX-Push-Url"] = f"/?{query}" if query else "/"
    return response


@bp.get("/more")
@fragment("grid")
def more() -> Response:
    """The next page of cards and a new "more" sentinel, appended to the grid."""
    return _render("_more.html", _run())


@bp.get("/count")
@fragment("results")
def matches() -> Response:
    """How many pictures match, loaded after the grid."""
    view = parse_view(request.args)
    db = backend()
    total, command = count(db.redis, view.filters, catalogue=db.catalogue)
    return Response(render_template("_count.html", total=total, command=command, view=view))


@bp.get("/new")
@fragment("results")
def new() -> Response:
    """The "N new pictures" banner, polled while the gallery is open."""
    view = parse_view(request.args)
    try:
        since = float(request.args.get("since", ""))
    except ValueError:
        since = math.nan
    if not math.isfinite(since):
        raise QueryError("since", "'since' must be Unix seconds")
    db = backend()
    fresh = count_newer(db.redis, view.filters, since, catalogue=db.catalogue)
    return Response(render_template("_new.html", fresh=fresh, view=view))
