"""`picat web`: serve the gallery."""

from __future__ import annotations

import argparse
import sys
import threading

from picat import retention
from picat.settings import Settings

from .settings import DEFAULT_HOST, DEFAULT_PORT


def _cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    from picat.timelapse.settings import video_folder

    from .app import create_app
    from .auth_settings import load_auth_settings
    from .server import serve
    from .settings import load_web_settings

    web = load_web_settings(settings.data_dir)
    host = args.host or web.host
    access = load_auth_settings(host, no_auth=args.no_auth)
    app = create_app(
        settings.effective_redis_url, catalogue=settings.catalogue(), secret_key=web.secret_key,
        auth_settings=access.auth, trust_proxy=access.trust_proxy, host=host,
        PICAT_TIMELAPSE_DIR=video_folder(settings.data_dir),
    )
    stop = threading.Event()
    retention.start(settings, stop)  # one process prunes at a time (a lease in Redis)
    try:
        serve(app, host, args.port or web.port)
    except OSError as exc:
        print(f"picat web: cannot listen on {args.host or web.host}:{args.port or web.port}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        stop.set()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `picat web`."""
    web = sub.add_parser("web", help="serve the web gallery (waitress)")
    web.add_argument(
        "--host", help=f"interface to listen on (PICAT_WEB_HOST, default {DEFAULT_HOST})"
    )
    web.add_argument(
        "--port", type=int, help=f"TCP port (PICAT_WEB_PORT, default {DEFAULT_PORT})"
    )
    web.add_argument(
        "--no-auth", action="store_true",
        help="serve without a password even on a non-loopback address (with a warning)",
    )
    web.set_defaults(func=_cmd_web)
