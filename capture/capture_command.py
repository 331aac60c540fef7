"""`picat capture`: take pictures on a trigger and store them, until stopped (or `--once`)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from picat.sdnotify import notify, watchdog_seconds
from picat.settings import Settings

from .cameras import open_camera
from .frame import Camera
from .motion import MotionDetector
from .picamera import CameraUnavailable
from .service import make_service
from .settings import CAMERA_KINDS, TRIGGER_KINDS, CaptureSettings, load_capture_settings
from .triggers import GpioTrigger, IntervalTrigger, MotionTrigger, OnceTrigger, Trigger
from .watchdog import WatchedCamera, keep_alive

log = logging.getLogger("picat.capture")


def make_trigger(
    kind: str, once: bool, capture_settings: CaptureSettings, camera: Camera
) -> Trigger:
    if once:
        return OnceTrigger()
    if kind == "gpio":
        return GpioTrigger(
            capture_settings.gpio_pin, capture_settings.gpio_edge,
            capture_settings.gpio_pull_up, capture_settings.gpio_debounce,
        )
    if kind == "motion":
        return MotionTrigger(
            camera,
            MotionDetector(capture_settings.motion_threshold, capture_settings.motion_cooldown),
        )
    return IntervalTrigger(capture_settings.capture_interval)


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and Ctrl-C end the loop after the capture in flight, instead of killing it."""

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info("%s: stopping after the capture in flight", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)


def _cmd_capture(args: argparse.Namespace, settings: Settings) -> int:
    capture_settings = load_capture_settings(settings)
    try:
        camera = open_camera(
            args.camera or capture_settings.camera, capture_settings, once=args.once
        )
    except CameraUnavailable as exc:
        print(f"picat capture: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    _stop_on_signals(stop)
    watched = WatchedCamera(camera)
    stopped = threading.Event()
    period = watchdog_seconds()
    if period:
        keep_alive(watched, period, stopped)
    try:
        trigger = make_trigger(
            args.trigger or capture_settings.trigger, args.once, capture_settings, watched
        )
        service = make_service(settings, capture_settings, watched, trigger)
        notify("READY=1", f"STATUS=capturing as {capture_settings.camera_id}")
        emptied = service.run(stop)
    except RuntimeError as exc:
        print(f"picat capture: {exc}", file=sys.stderr)
        return 2
    finally:
        notify("STOPPING=1")
        stopped.set()
        watched.close()
    if args.once and not emptied:
        why = service.uploader.outage or "Redis did not take it"
        print(
            f"picat capture: the picture is kept in {capture_settings.spool_dir} because {why}; "
            "the next `picat capture` stores it",
            file=sys.stderr,
        )
        return 1
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `picat capture` to `picat`."""
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
