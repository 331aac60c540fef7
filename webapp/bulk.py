"""Curating a selection: delete, keep or download many pictures at once.

The toolbar above the grid is one plain form; the grid's checkboxes belong to it
(`form="bulk"`), so it works without JavaScript. A selection is a list of ids (at
most `MAX_SELECTED`, the request body limit allows about 2,000) or "all matching"
the filters, which runs through the index in batches: each step is one POST that
deletes or keeps one batch and answers with the progress and the form for the next
step, which htmx sends at once (without JavaScript, a "Continue" button does). No
state lives on the server between steps. Deletes and keeps go through `curator()`,
so they are confirmed on disk like single ones, and they need the curator role
like single ones (POST; see `auth.py`). Kept pictures are left out of any bulk
delete unless "include kept" is ticked. Zips are streamed (`archive.py`).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from picat.schema import Image, is_valid_image_id, store
from picat.schema.bulk import chunks, delete_ids, delete_step, find, keep_ids, keep_step
from picat.schema.bulk import selection as matching
from picat.schema.query import MAX_LIMIT, QueryError, Sort, count, search

from .archive import ZIP_BATCH, stream_zip
from .backend import backend
from .curation import curator
from .display import with_query
from .error_pages import error_response
from .fragments import fragment
from .params import View, parse_view

bp = Blueprint("bulk", __name__)

MAX_SELECTED = 2000
MAX_ZIPS = 4
"""Zip downloads one gallery process streams at once: a zip larger than waitress's
buffer holds a worker while a slow client reads it, so ten slow downloads must not
take every worker (`webapp/server.py`); the next one is a 503 with Retry-After."""
ACTIONS = ("delete", "keep")
NOT_ON_DISK = " Redis has not yet confirmed this on disk: a crash now could undo it."


def batch_size() -> int:
    """`PICAT_BULK_BATCH`: pictures per batch of an "all matching" step (read at start-up)."""
    return int(current_app.config["PICAT_BULK_BATCH"])


def _selected_ids() -> list[str]:
    ids = [value.strip() for value in request.values.getlist("id") if value.strip()]
    if len(ids) > MAX_SELECTED:
        raise QueryError("id", f"select at most {MAX_SELECTED:,} pictures, or all matching")
    for image_id in ids:
        if not is_valid_image_id(image_id):
            raise QueryError("id", f"{image_id[:40]!r} is not a picture id")
    return list(dict.fromkeys(ids))


def _flag(name: str) -> bool:
    return request.values.get(name) == "1"


def _number(name: str, default: float = 0.0) -> float:
    raw = request.values.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise QueryError(name, f"{raw[:20]!r} is not a number") from None
    if not math.isfinite(value) or abs(value) > 1e12:
        raise QueryError(name, f"{raw[:20]!r} is out of range")
    return value


def _plural(n: int) -> str:
    return f"{n:,} picture{'s' if n != 1 else ''}"


def _back(view: View) -> Response:
    return redirect(with_query(url_for("gallery.index"), view.query_string()), 303)


def _curate(action: str) -> Response:
    view = parse_view(request.values)
    include_kept = _flag("include_kept")
    if _flag("all"):
        return _progress(view, action, include_kept)
    ids = _selected_ids()
    if not ids:
        flash("Nothing was selected: tick the pictures first, or \"all matching\".")
        return _back(view)
    catalogue = backend().catalogue
    if action == "delete":
        tally, on_disk = curator().apply(
            lambda r: delete_ids(r, ids, include_kept=include_kept, catalogue=catalogue)
        )
        message = f"Deleted {_plural(tally.done)}."
        if tally.kept:
            message += f" {_plural(tally.kept)} kept forever left alone (tick \"include kept\")."
    else:
        tally, on_disk = curator().apply(lambda r: keep_ids(r, ids, catalogue=catalogue))
        message = f"Kept {_plural(tally.done)} more: they will never expire."
    flash(message + ("" if on_disk else NOT_ON_DISK))
    return _back(view)


@bp.post("/bulk/delete")
def delete() -> Response:
    """Delete the selected pictures, or start deleting all matching ones."""
    return _curate("delete")


@bp.post("/bulk/keep")
def keep() -> Response:
    """Keep the selected pictures forever, or start keeping all matching ones."""
    return _curate("keep")


@dataclass(frozen=True)
class _State:
    """Where an "all matching" run is; it travels in the step form, not on the server."""

    action: str
    include_kept: bool
    before: float
    total: int
    done: int
    kept: int
    finished: bool
    on_disk: bool = True

    @property
    def verb(self) -> str:
        return "Deleted" if self.action == "delete" else "Kept"


def _progress(view: View, action: str, include_kept: bool) -> Response:
    """The progress page of an "all matching" run, frozen at this moment."""
    before = time.time()
    db = backend()
    constraints = matching(
        view.filters, before=before, expiring_only=action == "keep" or not include_kept
    )
    # The selection frozen at `before` (and without kept pictures where they stay): the
    # size of what the steps will walk, from the same search they use.
    total = find(db.redis, constraints, 0, catalogue=db.catalogue).total
    state = _State(action, include_kept, before, total, done=0, kept=0, finished=total == 0)
    return Response(render_template("bulk_progress.html", s=state, view=view))


@bp.post("/bulk/step")
def step() -> Response:
    """One batch of an "all matching" run; answers with the progress and the next step."""
    view = parse_view(request.values)
    action = request.values.get("action", "")
    if action not in ACTIONS:
        raise QueryError("action", "use delete or keep")
    include_kept = _flag("include_kept")
    before = _number("before")
    db = backend()
    constraints = matching(view.filters, before=before)
    batch = batch_size()
    if action == "delete":
        result, on_disk = curator().apply(
            lambda r: delete_step(
                r, constraints, include_kept=include_kept, batch=batch, catalogue=db.catalogue
            )
        )
    else:
        result, on_disk = curator().apply(
            lambda r: keep_step(r, constraints, batch=batch, catalogue=db.catalogue)
        )
    state = _State(
        action, include_kept, before, int(_number("total")),
        done=int(_number("done")) + result.tally.done,
        kept=int(_number("kept")) + result.tally.kept,
        finished=result.finished, on_disk=on_disk,
    )
    template = "_bulk_step.html" if request.headers.get("HX-Request") else "bulk_progress.html"
    return Response(render_template(template, s=state, view=view))


@bp.get("/bulk/count")
@fragment("bulk")
def selection_count() -> Response:
    """How many pictures "all matching" would take: the number in the toolbar, the page's
    own count (`/count`)."""
    view = parse_view(request.args)
    db = backend()
    total, _ = count(db.redis, view.filters, catalogue=db.catalogue)
    return Response(f"{total:,}", mimetype="text/plain")


def _selected_batches(ids: list[str]) -> Iterator[list[Image]]:
    db = backend()
    for part in chunks(ids, ZIP_BATCH):
        yield store.load_many(db.redis, part, db.catalogue)


def _matching_batches(view: View) -> Iterator[list[Image]]:
    """Every matching picture, oldest first, a keyset page at a time."""
    db = backend()
    cursor = None
    while True:
        page = search(
            db.redis, view.filters, Sort.OLDEST, MAX_LIMIT, cursor,
            catalogue=db.catalogue,
        )
        if page.images:
            yield page.images
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


class _Releasing:
    """The zip's bytes; its slot is given back once, when they end, fail, or the client
    leaves (waitress closes the body), even if they were never read (a HEAD)."""

    def __init__(self, slots: threading.BoundedSemaphore, chunks: Iterable[bytes]) -> None:
        self.slots, self.chunks, self.held = slots, iter(chunks), True

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self.chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.held:
            self.held = False
            self.slots.release()
            close = getattr(self.chunks, "close", None)
            if close is not None:
                close()


@bp.get("/bulk/zip")
def download() -> Response:
    """A zip of the selection, streamed while it is written; reading needs no curator role."""
    view = parse_view(request.args)
    if _flag("all"):
        batches = _matching_batches(view)
    else:
        ids = _selected_ids()
        if not ids:
            raise QueryError("id", "select some pictures, or all matching, to download")
        batches = _selected_batches(ids)
    db = backend()
    slots = current_app.extensions.setdefault(
        "picat.zip_slots", threading.BoundedSemaphore(MAX_ZIPS)
    )
    if not slots.acquire(blocking=False):
        busy = error_response(
            503, f"{MAX_ZIPS} zip downloads are being sent already: try again in a minute.",
            "Busy",
        )
        busy.headers["Retry-After"] = "60"
        return busy
    name = datetime.now(UTC).strftime("pictures-%Y-%m-%dT%H-%M-%SZ.zip")
    body = stream_with_context(_Releasing(slots, stream_zip(db.redis, batches, db.catalogue)))
    response = Response(body, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
