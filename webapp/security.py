"""Response headers and CSRF protection for every response and every POST.

The policy allows no inline script or style at all: every script is a static file
from this origin, and htmx is told not to inject its indicator styles. Images get a
sandboxing policy of their own, so even a mislabelled upload cannot run anything.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, Response, abort, request, session

PAGE_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "media-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
# A picture opened on its own is shown in the browser's image viewer, a document whose
# own inline styles (centring, zoom) `default-src 'none'` would block, with a console
# error each time; those styles are the browser's. Nothing here can run a script:
# `sandbox` without `allow-scripts` and no script source.
MEDIA_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SESSION_KEY = "csrf"
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """The session's token, made on first use; forms embed it in a hidden field."""
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_SESSION_KEY] = token
    return token


def _check_csrf() -> None:
    if request.method not in _UNSAFE_METHODS:
        return
    expected = session.get(_SESSION_KEY)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER, "")
    # Bytes: compare_digest raises TypeError on a str that is not ASCII (a 500).
    if not isinstance(expected, str) or not hmac.compare_digest(
        expected.encode(), sent.encode("utf-8", "replace")
    ):
        abort(403, "This form has expired or did not come from this gallery; reload and retry.")


def _set_headers(response: Response) -> Response:
    is_media = response.mimetype.startswith("image/") or response.mimetype == (
        "application/octet-stream"
    )
    response.headers["Content-Security-Policy"] = MEDIA_POLICY if is_media else PAGE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    return response


def install(app: Flask) -> None:
    """Check CSRF before every unsafe request and add the headers to every response."""
    app.before_request(_check_csrf)
    app.after_request(_set_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["csrf_field"] = CSRF_FIELD
