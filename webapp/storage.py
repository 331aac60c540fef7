"""The storage view (`/storage`, `/api/storage`) and the banner that says when the memory
budget, not the TTL, decides what is kept.

The numbers come from `picat.schema.storage.report`: INFO memory, two counts, the
oldest picture, each camera's pictures over the last hour and day. The banner reads
the same report, taken in the background at most once a minute per process, so a
gallery page never waits for it and never fails because of it.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from flask import Blueprint, Flask, Response, current_app, jsonify, render_template

from picat.schema import storage
from picat.schema.query import QueryTimeout

from .backend import backend

log = logging.getLogger(__name__)

bp = Blueprint("storage", __name__)

BANNER_EVERY = 60.0
_BANNER = "picat.storage_banner"


def _report() -> storage.Report:
    db = backend()
    return storage.report(db.redis, current_app.config["PICAT_MEMORY_BUDGET"], db.catalogue)


@bp.get("/storage")
def page() -> Response:
    return Response(render_template("storage.html", report=_report()))


@bp.get("/api/storage")
def api() -> Response:
    return jsonify(_report().as_json())


class _Banner:
    """The budget warning, refreshed in the background at most every `BANNER_EVERY`
    seconds. The report counts the pictures that expire (about 0.15 s of Redis time
    at 1,000,000 when all do), which no page may wait for, the first page of a new
    process least of all: a page shows the last text, and none until the first
    report is in."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.at = -BANNER_EVERY
        self.text: str | None = None
        self.refreshing: threading.Thread | None = None

    def current(self) -> str | None:
        with self.lock:
            if time.monotonic() - self.at >= BANNER_EVERY:
                self.at = time.monotonic()
                self.refreshing = threading.Thread(
                    target=self._refresh, name="picat-storage-banner", daemon=True)
                self.refreshing.start()
            return self.text

    def _refresh(self) -> None:
        try:
            with self.app.app_context():
                report = _report()
        except (redis.RedisError, QueryTimeout) as exc:
            log.debug("storage banner skipped: %s", exc)
            return
        decides = "The memory budget, not IMAGE_TTL, decides what is kept"
        text = f"{decides}: {report.projection()}." if report.budget_decides else None
        with self.lock:
            self.text = text


def install(app: Flask) -> None:
    app.extensions[_BANNER] = _Banner(app)
    app.jinja_env.globals["storage_banner"] = lambda: current_app.extensions[_BANNER].current()
