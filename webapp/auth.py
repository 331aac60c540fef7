"""Who may see the gallery and who may change it: login, sessions, read-only, API token.

Three ways in, each with a role:
- the password (`Auth.password_hash`): a `curator` session that may keep and delete;
- the read-only password (`Auth.readonly_password_hash`): a `viewer` session, for a
  shared screen, that may look but never change anything;
- the API token, sent as `Authorization: Bearer <token>`: a `script` that may read
  every GET route (JSON, images) but not change anything, so a leaked script
  secret cannot empty the catalogue.
Every route needs one of them except the login page, static files and `/healthz`
(which then tells only whether the gallery works, not what it holds). A session
carries a fingerprint of the password hash it was opened with, so changing the
password logs every session out.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from picat.passwords import verify_password

from .backend import EXTENSION, backend
from .error_pages import error_response, is_fragment_request, wants_json
from .throttle import LoginThrottle

CURATOR, VIEWER, SCRIPT = "curator", "viewer", "script"
INVALID = "invalid"  # a wrong API token: refused even on public routes
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.logout", "static", "health.check"})
SESSION_LIFETIME = timedelta(days=14)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_EXTENSION = "picat.auth"
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

bp = Blueprint("auth", __name__)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or the name localhost: reachable from this machine only."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    """The name in a Host header, without the port: `[::1]:8000` is `::1`."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


@dataclass(frozen=True)
class Auth:
    """The gallery's credentials; at least one password hash (see `picat passwd`)."""

    password_hash: str | None = None
    readonly_password_hash: str | None = None
    api_token: str | None = None

    def __post_init__(self) -> None:
        if not (self.password_hash or self.readonly_password_hash):
            raise ValueError("authentication needs a password hash")


@dataclass
class _State:
    auth: Auth | None
    secret: bytes
    throttle: LoginThrottle
    loopback_only: bool


def _state() -> _State:
    return current_app.extensions[_EXTENSION]


def _fingerprint(role: str) -> str:
    state = _state()
    assert state.auth is not None
    stored = state.auth.password_hash if role == CURATOR else state.auth.readonly_password_hash
    message = f"picat session\0{role}\0{stored}".encode()
    return hmac.new(state.secret, message, hashlib.sha256).hexdigest()[:32]


def _bearer_role() -> str | None:
    """SCRIPT for the right token, INVALID for a wrong one, None when none is sent.

    Only the Bearer scheme is ours: a Basic header from an authenticating proxy in
    front of the gallery is not a token attempt and is ignored.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    expected = _state().auth.api_token  # type: ignore[union-attr]
    if expected and hmac.compare_digest(token.strip().encode(), expected.encode()):
        return SCRIPT
    return INVALID


def _session_key(sid: str) -> str:
    return f"{backend().catalogue.auth_prefix}session:{sid}"


def _session_role() -> str | None:
    """The role of a signed session that Redis still knows: logging out deletes it there,
    so a copy of the cookie taken before is worth nothing after, in every worker."""
    if "picat_session_role" in g:
        return g.picat_session_role
    g.picat_session_role = None
    role, sid = session.get("role"), session.get("sid")
    if role not in (CURATOR, VIEWER) or not isinstance(sid, str):
        return None
    fingerprint = session.get("auth")
    if not isinstance(fingerprint, str) or not hmac.compare_digest(fingerprint, _fingerprint(role)):
        return None
    if backend().redis.get(_session_key(sid)) != role.encode():
        return None
    g.picat_session_role = role
    return role


def _role() -> str | None:
    if "picat_role" not in g:
        g.picat_role = CURATOR if _state().auth is None else (_bearer_role() or _session_role())
    return g.picat_role


def current_role() -> str | None:
    """The role of this request: CURATOR when authentication is off, None if not logged in."""
    role = _role()
    return None if role == INVALID else role


def can_curate() -> bool:
    """Whether this request may keep or delete pictures (templates hide the buttons if not)."""
    return current_role() == CURATOR


def login_shown() -> bool:
    """Whether the page should offer "Log out" (a logged-in session, authentication on)."""
    return _state().auth is not None and _session_role() is not None


def public_health(report: dict[str, object]) -> dict[str, object]:
    """What `/healthz` tells a visitor who is not logged in: working or not, and why."""
    shown = {"status": report.get("status")}
    if "redis" in report:
        shown["redis"] = report["redis"] if report["redis"] in ("ok", "loading") else "unreachable"
    if "index_state" in report:
        shown["index_state"] = str(report["index_state"]).split(":")[0]
    return shown


def _not_logged_in() -> Response:
    login = url_for("auth.login")
    if wants_json():
        response = error_response(401, "Log in, or send Authorization: Bearer <token>.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="picat"'
        return response
    if is_fragment_request():
        response = error_response(401, "Your session has ended: log in again.", "Not logged in")
        response.headers["HX-Redirect"] = login
        return response
    if request.method in _SAFE_METHODS:
        return redirect(f"{login}?next={_quote_next(request.full_path)}", 303)
    return error_response(401, "Log in first.", "Not logged in")


def _quote_next(path: str) -> str:
    return quote(path.rstrip("?"), safe="")


def _check_access() -> Response | None:
    if _state().loopback_only and not is_loopback(_host_name(request.host)):
        # DNS rebinding: a page elsewhere whose name now points at 127.0.0.1 would
        # otherwise be a same-origin curator of this password-less gallery.
        return error_response(
            400, "This gallery answers only to localhost, 127.0.0.1 or [::1].", "Bad host"
        )
    role = _role()
    if role == INVALID:
        response = error_response(401, "The API token is not valid.", "Not logged in")
        response.headers["WWW-Authenticate"] = 'Bearer realm="picat", error="invalid_token"'
        return response
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if role is None:
        return _not_logged_in()
    if request.method not in _SAFE_METHODS and role != CURATOR:
        return error_response(
            403, "This session is read-only: it can show pictures but not change them.",
            "Read-only",
        )
    return None


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never `//host` or `https://host`): no open redirect."""
    target = (target or "").strip()
    parts = urlsplit(target)
    if (
        not target.startswith("/") or target.startswith("//") or "\\" in target
        or parts.scheme or parts.netloc or any(ord(c) < 32 for c in target)
    ):
        return url_for("gallery.index")
    return target


def _role_for(password: str) -> str | None:
    auth = _state().auth
    assert auth is not None
    role = None
    # Both hashes are always checked, so the timing does not tell which one exists.
    for candidate, stored in ((CURATOR, auth.password_hash), (VIEWER, auth.readonly_password_hash)):
        if stored and verify_password(password, stored) and role is None:
            role = candidate
    return role


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response:
    """The login form; a right password opens a session and goes back where the user was."""
    state = _state()
    target = _safe_next(request.values.get("next"))
    if state.auth is None:
        return redirect(target, 303)
    if request.method == "GET":
        return Response(render_template("login.html", next=target, error=None))
    address = request.remote_addr or "unknown"
    wait, attempt = state.throttle.attempt(address)  # counted before the slow check
    if wait:
        response = Response(
            render_template(
                "login.html", next=target,
                error=f"Too many wrong passwords: try again in {wait // 60 + 1} minutes.",
            ),
            status=429,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    role = _role_for(request.form.get("password", ""))
    if role is None:
        return Response(
            render_template("login.html", next=target, error="That password is not right."),
            status=401,
        )
    state.throttle.succeeded(address, attempt, role)
    _end_session()
    sid = secrets.token_urlsafe(32)
    backend().redis.set(_session_key(sid), role, ex=SESSION_LIFETIME)
    session.clear()  # a new session: a new CSRF token too
    session.permanent = True
    session["role"] = role
    session["auth"] = _fingerprint(role)
    session["sid"] = sid
    return redirect(target, 303)


def _end_session() -> None:
    """Forget the current session in Redis, so no copy of its cookie opens it again."""
    sid = session.get("sid")
    if isinstance(sid, str):
        backend().redis.delete(_session_key(sid))


@bp.post("/logout")
def logout() -> Response:
    _end_session()
    session.clear()
    return redirect(url_for("auth.login") if _state().auth else url_for("gallery.index"), 303)


class _SessionInterface(SecureCookieSessionInterface):
    """The session cookie is `Secure` whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def install(app: Flask, auth: Auth | None, trust_proxy: int = 0, host: str = "127.0.0.1") -> None:
    """Require a login (if `auth`), trust `trust_proxy` proxies' X-Forwarded-* headers.

    Without a login on a loopback `host`, only requests whose Host header names
    loopback are served, so DNS rebinding cannot reach the gallery.
    """
    key = app.config["SECRET_KEY"]
    secret = key.encode() if isinstance(key, str) else bytes(key)
    loopback_only = auth is None and is_loopback(host)
    shared = app.extensions[EXTENSION]  # the Backend: its Redis holds what workers share
    throttle = LoginThrottle(shared.redis, shared.catalogue.auth_prefix + "failures:")
    app.extensions[_EXTENSION] = _State(auth, secret, throttle, loopback_only)
    app.session_interface = _SessionInterface()
    app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME
    if trust_proxy > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=trust_proxy, x_proto=trust_proxy, x_host=trust_proxy
        )
    app.before_request(_check_access)
    app.jinja_env.globals.update(can_curate=can_curate, login_shown=login_shown)
    app.register_blueprint(bp)
