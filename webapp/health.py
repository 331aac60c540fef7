"""`/healthz`: whether the gallery can work, for monitors and load balancers.

(The JSON API's pictures, `/api/images` and `/api/images/<id>`, come from the same
handlers as the gallery and picture pages: gallery.py, picture.py.)
"""

from __future__ import annotations

import redis
from flask import Blueprint, Response, jsonify

from picat.schema import index
from picat.schema.replies import text

from .auth import current_role, public_health
from .backend import backend
from .error_pages import loading_message

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def check() -> tuple[Response, int]:
    """Whether Redis answers and the index is there and complete: 200 if so, else 503.

    Without a login it says only that, and why not: no counts, names or addresses.
    """
    report, status = _health()
    return jsonify(report if current_role() else public_health(report)), status


def _health() -> tuple[dict[str, object], int]:
    db = backend()
    report: dict[str, object] = {"index": db.catalogue.index}
    try:
        db.redis.ping()
        info = index.index_info(db.redis, db.catalogue.index)
    except redis.BusyLoadingError:
        report.update(status="unavailable", redis="loading", message=loading_message())
        return report, 503
    except Exception as exc:  # any failure here is the answer, not a crash
        report.update(status="unavailable", redis=f"unreachable: {exc}")
        return report, 503
    report["redis"] = "ok"
    if info is None:
        report.update(status="unavailable", index_state="missing: run `picat schema apply`")
        return report, 503
    report.update(
        status="ok",
        index_state="indexing" if text(info.get("indexing")) not in ("0", "") else "ready",
        index_version=text(info.get("index_name")),
        documents=int(text(info.get("num_docs", 0)) or 0),
        percent_indexed=float(text(info.get("percent_indexed", 1)) or 0),
    )
    return report, 200
