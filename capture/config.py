"""Capture settings from environment variables, each with a working default.

The shared `picat.settings.Settings` holds what every command reads (Redis URL,
PICAT_DATA_DIR); everything only capture and import need lives here, so a bad
capture value stops only the commands that read it. A bad value stops the program
with a message that names the variable, never a stack trace.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from picat.schema.model import CAMERA_PATTERN
from picat.settings import Settings

CAMERA_KINDS = ("auto", "picamera2", "simulated")
TRIGGER_KINDS = ("interval", "gpio", "motion")
GPIO_EDGES = ("rising", "falling", "both")

T = TypeVar("T")


MAX_IMAGE_TTL = 100 * 365 * 86400
"""A century: beyond it PEXPIREAT's milliseconds would overflow sooner or later, and 0
already means forever."""


@dataclass(frozen=True)
class CaptureConfig:
    image_ttl: int
    camera_id: str
    capture_interval: float
    camera: str
    resolution: tuple[int, int]
    jpeg_quality: int
    autofocus: bool
    thumbnail_size: int
    trigger: str
    spool_dir: Path
    spool_max_bytes: int
    gpio_pin: int
    gpio_edge: str
    gpio_pull_up: bool
    gpio_debounce: float
    motion_threshold: float
    motion_cooldown: float
    simulated_seed: int


def _env(name: str, default: T, parse: Callable[[str], T], expected: str) -> T:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse(raw)
    except ValueError:
        raise SystemExit(f"{name} must be {expected}, got {raw!r}") from None


def parse_resolution(text: str) -> tuple[int, int]:
    """`1640x1232` -> (1640, 1232); both sides between 16 and 16384 pixels."""
    width, sep, height = text.lower().partition("x")
    if not sep:
        raise ValueError(text)
    size = (int(width), int(height))
    if not all(16 <= side <= 16384 for side in size):
        raise ValueError(text)
    return size


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.lower() not in options:
            raise ValueError(text)
        return text.lower()

    return parse


def _bounded(parse: Callable[[str], T], low: float, high: float) -> Callable[[str], T]:
    def check(text: str) -> T:
        value = parse(text)
        if not low <= value <= high:  # type: ignore[operator]
            raise ValueError(text)
        return value

    return check


def check_camera_id(camera_id: str) -> str:
    """The camera name as stored in every picture; a bad one stops capture before it starts."""
    if not CAMERA_PATTERN.fullmatch(camera_id):
        raise SystemExit(
            f"CAMERA_ID must be 1-64 letters, digits, '.', '_' or '-' starting with a letter "
            f"or digit, got {camera_id!r}"
        )
    return camera_id


def _positive_seconds(text: str) -> float:
    """A finite number of seconds above 0: nan would make the timer spin, inf overflows it."""
    value = float(text)
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(text)
    return value


def load_capture_config(settings: Settings) -> CaptureConfig:
    """Read the capture variables; defaults suit a Pi with a Camera Module 3."""
    return CaptureConfig(
        image_ttl=_env(
            "IMAGE_TTL", 7 * 24 * 3600, _bounded(int, 0, MAX_IMAGE_TTL),
            f"0 (keep forever) or a whole number of seconds up to {MAX_IMAGE_TTL}",
        ),
        camera_id=check_camera_id(os.environ.get("CAMERA_ID") or os.uname().nodename),
        capture_interval=_env(
            "CAPTURE_INTERVAL", 10.0, _positive_seconds, "a number of seconds more than 0"
        ),
        camera=_env("CAMERA", "auto", _choice(CAMERA_KINDS), "one of " + ", ".join(CAMERA_KINDS)),
        resolution=_env(
            "CAMERA_RESOLUTION", (1640, 1232), parse_resolution, "WIDTHxHEIGHT, e.g. 1640x1232"
        ),
        jpeg_quality=_env("JPEG_QUALITY", 90, _bounded(int, 1, 100), "a whole number 1-100"),
        autofocus=_env("CAMERA_AUTOFOCUS", True, _parse_bool, "on or off"),
        thumbnail_size=_env(
            "THUMBNAIL_SIZE", 320, _bounded(int, 16, 2048), "a whole number of pixels, 16-2048"
        ),
        trigger=_env(
            "CAPTURE_TRIGGER", "interval", _choice(TRIGGER_KINDS),
            "one of " + ", ".join(TRIGGER_KINDS),
        ),
        spool_dir=Path(os.environ.get("SPOOL_DIR") or settings.data_dir / "spool"),
        spool_max_bytes=int(
            _env("SPOOL_MAX_MB", 500.0, _bounded(float, 1, 10**7), "a number of megabytes >= 1")
            * 1024 * 1024
        ),
        gpio_pin=_env("GPIO_PIN", 17, _bounded(int, 0, 53), "a BCM pin number 0-53"),
        gpio_edge=_env("GPIO_EDGE", "rising", _choice(GPIO_EDGES), "rising, falling or both"),
        gpio_pull_up=_env("GPIO_PULL_UP", False, _parse_bool, "on or off"),
        gpio_debounce=_env(
            "GPIO_DEBOUNCE", 0.2, _bounded(float, 0, 60), "seconds between 0 and 60"
        ),
        motion_threshold=_env(
            "MOTION_THRESHOLD", 1.0, _bounded(float, 0.01, 100), "a percentage 0.01-100"
        ),
        motion_cooldown=_env(
            "MOTION_COOLDOWN", 5.0, _bounded(float, 0, 86400), "seconds, 0 or more"
        ),
        simulated_seed=_env("SIMULATED_SEED", 0, int, "a whole number"),
    )
