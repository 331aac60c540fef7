"""The Flask application factory: one Redis client, blueprints, security and errors."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask

from picat.schema import DEFAULT_CATALOGUE, Catalogue, connect

from . import (
    auth,
    bulk,
    curation,
    display,
    error_pages,
    gallery,
    health,
    images,
    picture,
    security,
    storage,
    timelapse,
    timeline,
)
from .backend import EXTENSION, Backend
from .settings import gallery_limits


def create_app(
    redis_url: str,
    *,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
    secret_key: bytes | None = None,
    auth_settings: auth.Auth | None = None,
    trust_proxy: int = 0,
    host: str = "127.0.0.1",
    **config: Any,
) -> Flask:
    """A gallery for the catalogue at `redis_url`.

    Without `secret_key` a random one is used, so sessions and paging cursors last
    only as long as the process; `picat web` passes a persistent one. Without
    `auth_settings` nobody needs to log in (`picat web` allows that on loopback only);
    `trust_proxy` is how many proxies' X-Forwarded-* headers to believe; `host` is
    the address served (without a login on loopback, only loopback Host headers
    are answered: no DNS rebinding). `config`
    overrides Flask settings (e.g. `TESTING=True`, `PICAT_BULK_BATCH=4`).
    """
    app = Flask(__name__)
    key = secret_key or secrets.token_bytes(32)
    app.config.update(
        SECRET_KEY=key,
        SESSION_COOKIE_NAME="picat_session",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=64 * 1024,
        **gallery_limits(),
    )
    app.config.update(config)
    app.json.sort_keys = False
    app.extensions[EXTENSION] = Backend(
        redis=connect(redis_url),
        catalogue=catalogue,
    )
    auth.install(app, auth_settings, trust_proxy, host)  # first: a bad Host is a 400
    security.install(app)
    curation.install(app, redis_url)
    error_pages.install(app)
    display.install(app)
    storage.install(app)
    for module in (gallery, picture, images, health, timeline, bulk, storage):
        app.register_blueprint(module.bp)
    timelapse.install(app)
    # Browsers ask for /favicon.ico on pages without a <link rel=icon> (JSON, images, CSS):
    # answered, that is one 404 less in their consoles.
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.svg"))
    return app
