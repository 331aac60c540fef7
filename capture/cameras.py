"""Choosing and opening a camera source by name (`auto`, `picamera2`, `simulated`).

`auto` must never store made-up pictures under a real camera's name: on a Raspberry
Pi (its device tree says so) it means the real camera, and a camera that cannot be
used stops the command with the cause and the fix. The simulated camera is chosen
only off a Pi, and the log says so.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .frame import Camera
from .picamera import Picamera2Camera
from .settings import CaptureSettings
from .simulated import SimulatedCamera

log = logging.getLogger("picat.capture")

DEVICE_TREE_MODEL = Path("/proc/device-tree/model")
"""The board's name from the firmware's device tree, e.g. 'Raspberry Pi 5 Model B Rev 1.0'."""

SIMULATED_RESOLUTION = (1640, 1232)
"""The simulated camera's size when CAMERA_RESOLUTION is `auto`: the v2 camera's full field."""


def raspberry_pi_model(model_file: Path | None = None) -> str | None:
    """The board's model if the device tree names a Raspberry Pi, else None."""
    try:
        raw = (model_file or DEVICE_TREE_MODEL).read_bytes()
    except OSError:
        return None
    model = raw.rstrip(b"\0").decode(errors="replace").strip()
    return model if model.startswith("Raspberry Pi") else None


def resolve_kind(kind: str) -> str:
    """`auto` means picamera2 on a Raspberry Pi, the simulated camera anywhere else."""
    if kind != "auto":
        return kind
    model = raspberry_pi_model()
    if model:
        log.info("CAMERA=auto on a %s: using the Pi camera (picamera2)", model)
        return "picamera2"
    log.warning(
        "CAMERA=auto and this is not a Raspberry Pi (%s names none): using the SIMULATED "
        "camera, whose pictures are made up; set CAMERA=simulated to silence this",
        DEVICE_TREE_MODEL,
    )
    return "simulated"


def open_camera(kind: str, capture_settings: CaptureSettings, once: bool = False) -> Camera:
    """Open the named camera; raises CameraUnavailable if picamera2 cannot be used.

    `once` (`picat capture --once`) lets the picture wait for autofocus to settle."""
    chosen = resolve_kind(kind)
    if chosen == "picamera2":
        return Picamera2Camera(
            capture_settings.resolution, capture_settings.thumbnail_size,
            capture_settings.jpeg_quality, capture_settings.autofocus,
            wait_for_focus=once, frame_timeout=capture_settings.camera_timeout,
        )
    resolution = capture_settings.resolution or SIMULATED_RESOLUTION
    log.info("camera: simulated at %dx%d", *resolution)
    return SimulatedCamera(
        resolution, capture_settings.thumbnail_size, capture_settings.jpeg_quality,
        capture_settings.simulated_seed,
    )
