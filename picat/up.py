"""`picat up`: the whole catalogue in one command.

Starts the embedded Redis unless `REDIS_URL` points elsewhere, applies the index,
captures in a background thread (the Pi camera if picamera2 is there, a simulated
camera otherwise) and serves the gallery until Ctrl-C or SIGTERM.

If capture fails for any reason (camera error, busy spool, a bug), the whole
process stops with status 1 instead of serving a gallery that no longer grows:
a supervisor such as systemd (`Restart=on-failure`) then sees it and restarts it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading

from picat import embedded
from picat.capture.config import CaptureConfig
from picat.settings import Settings, port_number
from picat.signals import sigterm_as_interrupt

log = logging.getLogger("picat.up")


def register(sub: argparse._SubParsersAction) -> None:
    up = sub.add_parser("up", help="run everything: embedded Redis, capture, web gallery")
    up.add_argument("--host", help="address the gallery listens on (PICAT_WEB_HOST)")
    up.add_argument("--port", type=port_number, help="port of the gallery (PICAT_WEB_PORT)")
    up.add_argument(
        "--camera",
        choices=("auto", "picamera2", "simulated", "none"),
        help="camera to capture from (CAMERA, default auto); 'none' serves the gallery only",
    )
    up.add_argument(
        "--no-auth", action="store_true",
        help="serve the gallery without a password even on a non-loopback address",
    )
    up.set_defaults(func=run)


class _CaptureThread(threading.Thread):
    """Runs capture; on any failure logs it and interrupts the main thread (the gallery)."""

    def __init__(
        self, settings: Settings, config: CaptureConfig, stop: threading.Event, camera: str
    ) -> None:
        super().__init__(name="capture", daemon=True)
        self.settings, self.config, self.stop, self.camera = settings, config, stop, camera
        self.failed = False

    def run(self) -> None:
        from picat.capture.service import run_capture

        try:
            run_capture(self.settings, self.config, self.stop, self.camera)
            return
        except Exception:
            log.exception("capture failed: stopping picat up")
        self.failed = True
        # Wakes the gallery's select() at once; `sigterm_as_interrupt` makes it a KeyboardInterrupt.
        signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from picat.capture.config import load_capture_config
    from picat.schema import connect, index
    from picat.timelapse.settings import video_folder
    from picat.webapp import create_app
    from picat.webapp.authconfig import load_auth_settings
    from picat.webapp.config import load_web_settings
    from picat.webapp.server import serve

    sigterm_as_interrupt()
    web = load_web_settings(settings.data_dir)
    host, port = args.host or web.host, args.port or web.port
    access = load_auth_settings(host, no_auth=args.no_auth, command="picat up")
    camera = args.camera
    config = None
    if camera != "none":
        config = load_capture_config(settings)
        camera = camera or config.camera
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
        capture = None if config is None else _CaptureThread(settings, config, stop, camera)
        try:
            if capture is not None:
                capture.start()
                stack.callback(capture.join, 30)
                stack.callback(stop.set)
            log.info("gallery on http://%s:%d/", host, port)
            app = create_app(
                url, secret_key=web.secret_key,
                auth_settings=access.auth, trust_proxy=access.trust_proxy, host=host,
                PICAT_TIMELAPSE_DIR=video_folder(settings.data_dir),
            )
            serve(app, host, port)
        except KeyboardInterrupt:
            log.info("stopping")
        except OSError as exc:
            print(
                f"picat up: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr
            )
            return 1
    return 1 if capture is not None and capture.failed else 0
