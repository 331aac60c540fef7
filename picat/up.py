"""`picat up`: the whole catalogue in one command.

Starts the embedded Redis unless `REDIS_URL` points elsewhere, applies the index,
captures in a background thread (the Pi camera if picamera2 is there, a simulated
camera otherwise) and serves the gallery until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import threading

from picat import embedded
from picat.settings import Settings
from picat.signals import sigterm_as_interrupt

log = logging.getLogger("picat.up")


def register(sub: argparse._SubParsersAction) -> None:
    up = sub.add_parser("up", help="run everything: embedded Redis, capture, web gallery")
    up.add_argument("--host", default="127.0.0.1", help="address the gallery listens on")
    up.add_argument("--port", type=int, default=8000, help="port of the gallery")
    up.add_argument(
        "--camera",
        default="auto",
        choices=("auto", "picamera2", "simulated", "none"),
        help="camera to capture from; 'none' serves the gallery only",
    )
    up.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from picat.capture.service import run_capture
    from picat.schema import connect, index
    from picat.webapp import create_app
    from picat.webapp.server import serve

    sigterm_as_interrupt()
    with contextlib.ExitStack() as stack:
        if settings.redis_url is None:
            server = embedded.EmbeddedRedis(
                settings.redis_port,
                settings.data_dir / "redis",
                str(settings.data_dir / "redis.log"),
            )
            stack.callback(server.stop)
            try:
                server.start()
            except embedded.EmbeddedRedisError as exc:
                print(f"picat up: {exc}", file=sys.stderr)
                return 2
            log.info("embedded Redis on %s, data in %s", server.url, server.data_dir)
        url = settings.effective_redis_url
        result = index.apply(connect(url))
        log.info("index: %s", result.describe("idx:images"))

        stop = threading.Event()
        if args.camera != "none":
            capture = threading.Thread(
                target=run_capture, args=(settings, stop, args.camera), name="capture", daemon=True
            )
            capture.start()
            stack.callback(capture.join, 30)
            stack.callback(stop.set)
        log.info("gallery on http://%s:%d/", args.host, args.port)
        try:
            serve(create_app(url), args.host, args.port)
        except KeyboardInterrupt:
            log.info("stopping")
    return 0
