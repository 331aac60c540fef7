"""Every failure becomes a page, a fragment or JSON that says what happened, never a trace.

Redis being unreachable or a query hitting the server's time limit is a 503 with a
plain explanation; the next request simply tries again, so the gallery recovers by
itself once Redis is back.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from picat.schema import functions, loading, storage
from picat.schema.query import QueryError, QueryTimeout

log = logging.getLogger(__name__)

UNREACHABLE = (
    "Redis is unreachable right now, so the gallery cannot show pictures. "
    "It will carry on by itself as soon as Redis is back."
)
NO_INDEX = (
    "The search index is missing in Redis. Run `picat schema apply` (or `picat up`) to create it."
)
NO_FUNCTIONS = (
    "The catalogue's read functions are missing in Redis or from an older release. Run "
    "`picat schema apply` (or `picat up`) to load them."
)
NOT_ALLOWED = (
    "Redis refused the gallery a command its user may not run. If Pi Catalogue was just "
    "upgraded, run `picat acl --apply` again."
)
TOO_SLOW = (
    "This question took Redis too long to answer, so it was stopped rather than show "
    "an incomplete answer. Narrow the filters (a shorter date range) and try again."
)
FAILED = "Something went wrong on our side. The details are in the server log."


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def is_fragment_request() -> bool:
    """An htmx request that swaps part of a page (not a boosted link or history restore)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def error_response(status: int, message: str, title: str = "") -> Response:
    """`message` as JSON, an htmx fragment or a full page, whichever the request wants."""
    if wants_json():
        response = jsonify(error=message)
    elif is_fragment_request():
        response = Response(render_template("_error.html", message=message, status=status))
    else:
        response = Response(
            render_template("error.html", message=message, status=status, title=title)
        )
    response.status_code = status
    return response


def _http_error(exc: HTTPException) -> Response:
    return error_response(exc.code or 500, exc.description or exc.name, exc.name)


def _bad_query(exc: QueryError) -> Response:
    return error_response(400, f"{exc.field}: {exc.message}", "Bad request")


def _too_slow(exc: QueryTimeout) -> Response:
    log.warning("Query timed out: %s", exc)
    return error_response(503, TOO_SLOW, "Query too slow")


def _unreachable(exc: redis.RedisError) -> Response:
    log.warning("Redis unreachable: %s", exc)
    return error_response(503, UNREACHABLE, "Redis is unreachable")


def loading_message() -> str:
    """"Redis is loading its data (63 %)...", from the server's own progress report."""
    from .backend import backend

    try:
        current = loading.progress(backend().redis)
    except redis.RedisError:
        current = None
    done = "" if current is None else f" ({current.percent:.0f} %)"
    return (
        f"Redis is loading its data{done}. The gallery carries on by itself once it has; "
        "pictures taken meanwhile wait in the camera's spool."
    )


def _loading(exc: redis.BusyLoadingError) -> Response:
    response = error_response(503, loading_message(), "Redis is loading")
    response.headers["Retry-After"] = "5"
    return response


def _out_of_memory(exc: redis.exceptions.OutOfMemoryError) -> Response:
    from .backend import backend

    db = backend()
    message = storage.out_of_memory_message(db.redis, db.catalogue)
    log.warning("Redis refused a write: %s", message)
    return error_response(503, message + ". Deleting pictures frees memory.", "Redis is full")


def _redis_error(exc: redis.ResponseError) -> Response:
    text = str(exc).lower()
    if "no such index" in text or "unknown index name" in text:
        return error_response(503, NO_INDEX, "Search index missing")
    if functions.is_missing(exc):
        return error_response(503, NO_FUNCTIONS, "Read functions missing")
    if isinstance(exc, redis.exceptions.NoPermissionError) or "acl failure" in text:
        log.error("Redis refused a command to the gallery's user: %s", exc)
        return error_response(503, NOT_ALLOWED, "Not allowed by Redis")
    log.exception("Redis refused a command")
    return error_response(500, FAILED, "Server error")


def _unexpected(exc: Exception) -> Response:
    log.exception("Unhandled error")
    return error_response(500, FAILED, "Server error")


def install(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(QueryError, _bad_query)
    app.register_error_handler(QueryTimeout, _too_slow)
    app.register_error_handler(redis.BusyLoadingError, _loading)
    app.register_error_handler(redis.ConnectionError, _unreachable)
    app.register_error_handler(redis.TimeoutError, _unreachable)
    app.register_error_handler(redis.exceptions.OutOfMemoryError, _out_of_memory)
    app.register_error_handler(redis.ResponseError, _redis_error)
    app.register_error_handler(Exception, _unexpected)
