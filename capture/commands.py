"""`picat capture` and `picat import`: the capture side's command line."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import redis

from picat.schema import DEFAULT_CATALOGUE, index
from picat.settings import Settings, safe_url

from .cameras import open_camera
from .config import CAMERA_KINDS, TRIGGER_KINDS, CaptureConfig, load_capture_config
from .durable import NotDurable, connect_single
from .frame import Camera
from .importer import import_files
from .motion import MotionDetector
from .picamera import CameraUnavailable
from .service import make_service
from .triggers import GpioTrigger, IntervalTrigger, MotionTrigger, OnceTrigger, Trigger

log = logging.getLogger("picat.capture")


def make_trigger(kind: str, once: bool, config: CaptureConfig, camera: Camera) -> Trigger:
    if once:
        return OnceTrigger()
    if kind == "gpio":
        return GpioTrigger(
            config.gpio_pin, config.gpio_edge, config.gpio_pull_up, config.gpio_debounce
        )
    if kind == "motion":
        return MotionTrigger(
            camera, MotionDetector(config.motion_threshold, config.motion_cooldown)
        )
    return IntervalTrigger(config.capture_interval)


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and Ctrl-C end the loop after the capture in flight, instead of killing it."""

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info("%s: stopping after the capture in flight", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)


def _cmd_capture(args: argparse.Namespace, settings: Settings) -> int:
    config = load_capture_config(settings)
    try:
        camera = open_camera(args.camera or config.camera, config)
    except CameraUnavailable as exc:
        print(f"picat capture: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    _stop_on_signals(stop)
    try:
        trigger = make_trigger(args.trigger or config.trigger, args.once, config, camera)
        service = make_service(settings, config, camera, trigger)
        emptied = service.run(stop)
    except RuntimeError as exc:
        print(f"picat capture: {exc}", file=sys.stderr)
        return 2
    finally:
        camera.close()
    if args.once and not emptied:
        print(
            f"picat capture: the picture is kept in {config.spool_dir} because Redis did not "
            "take it; the next `picat capture` stores it",
            file=sys.stderr,
        )
        return 1
    return 0


def _cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    paths = [Path(path) for path in args.paths]
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        print(f"picat import: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    config = load_capture_config(settings)
    r = connect_single(settings.effective_redis_url)
    try:
        try:
            index.apply(r, DEFAULT_CATALOGUE)
        except redis.exceptions.NoPermissionError:
            print(
                "picat import: the idx:images index is missing or out of date, and these "
                "credentials may not build it: run `picat schema apply` with the admin "
                "credentials first",
                file=sys.stderr,
            )
            return 2
        report = import_files(r, paths, config.camera_id, config.image_ttl, config.thumbnail_size)
    except redis.ConnectionError as exc:
        print(
            f"picat import: cannot reach Redis at {safe_url(settings.effective_redis_url)} ({exc})",
            file=sys.stderr,
        )
        return 2
    except (redis.RedisError, NotDurable) as exc:
        print(f"picat import: Redis refused the import ({exc}); run it again", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the capture commands to `picat`."""
    capture = sub.add_parser(
        "capture",
        help="take pictures and store them in Redis (spooling while Redis is away)",
        description="Take pictures on a trigger and store them with thumbnail and metadata. "
        "Every picture is written to the local spool first and removed from it only once "
        "Redis confirms it on disk, so Redis outages lose nothing.",
    )
    capture.add_argument("--once", action="store_true", help="take one picture and exit")
    capture.add_argument(
        "--camera", choices=CAMERA_KINDS, help="camera source (CAMERA, default auto)"
    )
    capture.add_argument(
        "--trigger", choices=TRIGGER_KINDS, help="what takes a picture (CAPTURE_TRIGGER)"
    )
    capture.set_defaults(func=_cmd_capture)

    importer = sub.add_parser(
        "import",
        help="import JPEG and PNG files into the catalogue",
        description="Import JPEG and PNG files (folders are searched recursively). Files "
        "already in the catalogue are skipped by content; unreadable files are reported.",
    )
    importer.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    importer.set_defaults(func=_cmd_import)
