"""The JSON twin of the picture page, and `/healthz` (the gallery's twin, `/api/images`,
is answered by the gallery's own handler); every error is `{"error": ...}` with a 4xx or
503 status.
"""

from __future__ import annotations

import redis
from flask import Blueprint, Response, jsonify

from picat.schema import index, store
from picat.schema.replies import text

from .auth import current_role, public_health
from .backend import backend, image_or_404
from .display import images_json
from .error_pages import loading_message

bp = Blueprint("api", __name__)


@bp.get("/api/images/<image_id>")
def image(image_id: str) -> Response:
    """One picture's metadata and URLs, and whether its original is `stored`, `missing`
    (its blob was deleted behind our back) or `unreachable` (its store does not answer)."""
    picture = image_or_404(image_id)
    app = backend()
    return jsonify(
        {**images_json([picture])[0],
         "original": store.original_state(app.redis, picture, app.catalogue)}
    )


@bp.get("/healthz")
def health() -> tuple[Response, int]:
    """Whether Redis answers and the index is there and complete: 200 if so, else 503.

    Without a login it says only that, and why not: no counts, names or addresses.
    """
    report, status = _health()
    return jsonify(report if current_role() else public_health(report)), status


def _health() -> tuple[dict[str, object], int]:
    app = backend()
    report: dict[str, object] = {"index": app.catalogue.index}
    try:
        app.redis.ping()
        info = index.index_info(app.redis, app.catalogue.index)
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
