"""`picat up`: the whole catalogue in one command.

Starts the embedded Redis unless `REDIS_URL` points elsewhere and serves the gallery
at once. One background thread waits for Redis to load its data (minutes for a big
catalogue: the gallery answers 503 with the progress meanwhile) and applies the
index; another captures from the start (the Pi camera if picamera2 is there, a
simulated camera otherwise; pictures wait in the spool until Redis takes them),
until Ctrl-C or SIGTERM. With originals outside Redis (`IMAGE_STORE`), a third
thread sweeps orphan blobs every hour.

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

from picat import embedded, retention
from picat.capture.settings import CaptureSettings
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


def _interrupt_main() -> None:
    """Wakes the gallery's select() at once; `sigterm_as_interrupt` makes it a KeyboardInterrupt."""
    signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)


class _CaptureThread(threading.Thread):
    """Runs capture from the start (while Redis loads, pictures wait in the spool); on any
    failure logs it and interrupts the main thread (the gallery)."""

    def __init__(
        self, settings: Settings, capture_settings: CaptureSettings, stop: threading.Event,
        camera: str,
    ) -> None:
        super().__init__(name="capture", daemon=True)
        self.settings, self.capture_settings = settings, capture_settings
        self.stop, self.camera = stop, camera
        self.error: str | None = None

    def run(self) -> None:
        from picat.capture.picamera import CameraStalled, CameraUnavailable
        from picat.capture.service import run_capture

        try:
            run_capture(self.settings, self.capture_settings, self.stop, self.camera)
            return
        except (CameraUnavailable, CameraStalled) as exc:  # the message says it all
            log.error("capture failed: %s", exc)
            self.error = f"capture failed: {exc}"
        except Exception as exc:
            log.exception("capture failed: stopping picat up")
            self.error = f"capture failed: {type(exc).__name__}: {exc}"
        _interrupt_main()


class _Startup(threading.Thread):
    """What the gallery needs after it starts listening: Redis ready (it may load its data
    for minutes; the gallery answers 503 with the progress meanwhile), then the index.
    On failure it logs why and interrupts the main thread."""

    def __init__(
        self, settings: Settings, server: embedded.EmbeddedRedis | None, stop: threading.Event
    ) -> None:
        super().__init__(name="startup", daemon=True)
        self.settings, self.server, self.stop = settings, server, stop
        self.error: str | None = None

    def run(self) -> None:
        from picat.schema import connect, index, loading

        try:
            r = connect(self.settings.effective_redis_url)
            if self.server is not None:
                self.server.wait_ready(stopped=self.stop.is_set)
                log.info(
                    "embedded Redis on %s, data in %s, memory budget %.1f GB",
                    self.server.url, self.server.data_dir, self.server.maxmemory / 1e9,
                )
            elif not loading.wait_until_loaded(r, log.info, self.stop.is_set):
                return
            result = index.apply(r)
            log.info("index: %s", result.describe("idx:images"))
            return
        except embedded.EmbeddedRedisError as exc:
            if self.stop.is_set():
                return  # Ctrl-C while Redis was loading: not a failure
            self.error = str(exc)
        except Exception as exc:
            log.exception("start-up failed: stopping picat up")
            self.error = f"start-up failed: {type(exc).__name__}: {exc}"
        if not self.stop.is_set():
            _interrupt_main()


def run(args: argparse.Namespace, settings: Settings) -> int:
    from picat.capture.settings import load_capture_settings
    from picat.timelapse.settings import video_folder
    from picat.webapp import create_app
    from picat.webapp.auth_settings import load_auth_settings
    from picat.webapp.server import serve
    from picat.webapp.settings import load_web_settings

    sigterm_as_interrupt()
    web = load_web_settings(settings.data_dir)
    host, port = args.host or web.host, args.port or web.port
    access = load_auth_settings(host, no_auth=args.no_auth, command="picat up")
    camera = args.camera
    capture_settings = None
    if camera != "none":
        capture_settings = load_capture_settings(settings)
        camera = camera or capture_settings.camera
    with contextlib.ExitStack() as stack:
        server = None
        if settings.redis_url is None:
            server = embedded.EmbeddedRedis(
                settings.redis_port,
                settings.data_dir / "redis",
                str(settings.data_dir / "redis.log"),
                maxmemory=settings.memory_budget,
            )
            stack.callback(server.stop)
            try:
                server.launch()
            except embedded.EmbeddedRedisError as exc:
                print(f"picat up: {exc}", file=sys.stderr)
                return 2
        url = settings.effective_redis_url
        stop = threading.Event()
        catalogue = settings.catalogue()
        if catalogue.originals is not None:
            from picat.schema.sweep import sweep_periodically

            threading.Thread(target=sweep_periodically, args=(url, catalogue, stop),
                             name="sweep", daemon=True).start()
        threads: list[_Startup | _CaptureThread] = [_Startup(settings, server, stop)]
        if capture_settings is not None:
            threads.append(_CaptureThread(settings, capture_settings, stop, camera))

        def start_threads() -> None:  # once the gallery listens: they may interrupt it
            for thread in threads:
                thread.start()
                stack.callback(thread.join, 30)
            stack.callback(retention.start(settings, stop).join, 10)
            stack.callback(stop.set)

        try:
            log.info("gallery on http://%s:%d/", host, port)
            app = create_app(
                url, catalogue=catalogue, secret_key=web.secret_key,
                auth_settings=access.auth, trust_proxy=access.trust_proxy, host=host,
                PICAT_TIMELAPSE_DIR=video_folder(settings.data_dir),
            )
            serve(app, host, port, started=start_threads)
        except KeyboardInterrupt:
            stop.set()
            log.info("stopping")
        except OSError as exc:
            print(
                f"picat up: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr
            )
            return 1
    errors = [thread.error for thread in threads if thread.error is not None]
    for error in errors:
        print(f"picat up: {error}", file=sys.stderr)
    return 1 if errors else 0
