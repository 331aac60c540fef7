"""`picat web`: serve the gallery."""

from __future__ import annotations

import argparse
import sys

from picat.settings import Settings

from .config import DEFAULT_HOST, DEFAULT_PORT


def _cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    from .app import create_app
    from .config import load_web_settings
    from .server import serve

    web = load_web_settings(settings.data_dir)
    app = create_app(settings.effective_redis_url, secret_key=web.secret_key)
    try:
        serve(app, args.host or web.host, args.port or web.port)
    except OSError as exc:
        print(f"picat web: cannot listen on {args.host or web.host}:{args.port or web.port}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the web commands to `picat`."""
    web = sub.add_parser("web", help="serve the web gallery (waitress)")
    web.add_argument(
        "--host", help=f"interface to listen on (PICAT_WEB_HOST, default {DEFAULT_HOST})"
    )
    web.add_argument(
        "--port", type=int, help=f"TCP port (PICAT_WEB_PORT, default {DEFAULT_PORT})"
    )
    web.set_defaults(func=_cmd_web)
