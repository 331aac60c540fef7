"""Choosing and opening a camera source by name (`auto`, `picamera2`, `simulated`)."""

from __future__ import annotations

import importlib.util
import logging

from .config import CaptureConfig
from .frame import Camera
from .picamera import Picamera2Camera
from .simulated import SimulatedCamera

log = logging.getLogger("picat.capture")


def resolve_kind(kind: str) -> str:
    """`auto` means picamera2 where it can be imported, else the simulated camera."""
    if kind != "auto":
        return kind
    return "picamera2" if importlib.util.find_spec("picamera2") else "simulated"


def open_camera(kind: str, config: CaptureConfig) -> Camera:
    """Open the named camera; raises CameraUnavailable if picamera2 cannot be used."""
    chosen = resolve_kind(kind)
    log.info("camera: %s at %dx%d", chosen, *config.resolution)
    if chosen == "picamera2":
        return Picamera2Camera(
            config.resolution, config.thumbnail_size, config.jpeg_quality, config.autofocus
        )
    return SimulatedCamera(
        config.resolution, config.thumbnail_size, config.jpeg_quality, config.simulated_seed
    )
