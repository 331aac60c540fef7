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

from picat.schema.model import CAMERA_PATTERN
from picat.settings import Settings, bounded, env_setting, picture_limits

CAMERA_KINDS = ("auto", "picamera2", "simulated")
TRIGGER_KINDS = ("interval", "gpio", "motion")
GPIO_EDGES = ("rising", "falling", "both")


GPIO_DEBOUNCE = 0.01
"""Seconds a GPIO level must stay unchanged to count (lgpio's debounce, which gpiozero's
`bounce_time` sets): a pulse shorter than this is dropped entirely, so the default sits
well below a 20 ms sound-sensor pulse yet above a button's contact bounce (1-5 ms)."""

MAX_IMAGE_TTL = 100 * 365 * 86400
"""A century: beyond it PEXPIREAT's milliseconds would overflow sooner or later, and 0
already means forever."""


@dataclass(frozen=True)
class CaptureSettings:
    image_ttl: int
    camera_id: str
    capture_interval: float
    camera: str
    resolution: tuple[int, int] | None
    jpeg_quality: int
    autofocus: bool
    camera_timeout: float
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


def parse_resolution(text: str) -> tuple[int, int] | None:
    """`1640x1232` -> (1640, 1232), both sides 16-16384 pixels; `auto` -> None (the sensor's)."""
    if text.lower() == "auto":
        return None
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


def load_capture_settings(settings: Settings) -> CaptureSettings:
    """Read the capture variables; defaults suit a Pi with a Camera Module 3."""
    capture_settings = _read_capture_settings(settings)
    width, height = capture_settings.resolution or (0, 0)  # None: the sensor mode the camera picks
    limits = picture_limits()
    if width * height > limits.max_pixels:
        raise SystemExit(
            f"CAMERA_RESOLUTION {width}x{height} is {width * height / 1e6:.0f} megapixels, more "
            f"than PICAT_MAX_PICTURE_MEGAPIXELS ({limits.max_pixels / 1e6:g}): the gallery "
            "would refuse to decode its pictures; lower one or raise the other"
        )
    return capture_settings


def _read_capture_settings(settings: Settings) -> CaptureSettings:
    return CaptureSettings(
        image_ttl=env_setting(
            "IMAGE_TTL",
            7 * 24 * 3600,
            bounded(int, 0, MAX_IMAGE_TTL),
            f"0 (keep forever) or a whole number of seconds up to {MAX_IMAGE_TTL}",
        ),
        camera_id=check_camera_id(os.environ.get("CAMERA_ID") or os.uname().nodename),
        capture_interval=env_setting(
            "CAPTURE_INTERVAL", 10.0, _positive_seconds, "a number of seconds more than 0"
        ),
        camera=env_setting(
            "CAMERA", "auto", _choice(CAMERA_KINDS), "one of " + ", ".join(CAMERA_KINDS)
        ),
        resolution=env_setting(
            "CAMERA_RESOLUTION", None, parse_resolution, "auto or WIDTHxHEIGHT, e.g. 2304x1296"
        ),
        jpeg_quality=env_setting("JPEG_QUALITY", 90, bounded(int, 1, 100), "a whole number 1-100"),
        autofocus=env_setting("CAMERA_AUTOFOCUS", True, _parse_bool, "on or off"),
        camera_timeout=env_setting(
            "CAMERA_TIMEOUT", 10.0, bounded(float, 0.1, 3600), "seconds between 0.1 and 3600"
        ),
        thumbnail_size=env_setting(
            "THUMBNAIL_SIZE", 320, bounded(int, 16, 2048), "a whole number of pixels, 16-2048"
        ),
        trigger=env_setting(
            "CAPTURE_TRIGGER",
            "interval",
            _choice(TRIGGER_KINDS),
            "one of " + ", ".join(TRIGGER_KINDS),
        ),
        spool_dir=Path(os.environ.get("SPOOL_DIR") or settings.data_dir / "spool"),
        spool_max_bytes=int(
            env_setting(
                "SPOOL_MAX_MB", 500.0, bounded(float, 1, 10**7), "a number of megabytes >= 1"
            )
            * 1024
            * 1024
        ),
        gpio_pin=env_setting("GPIO_PIN", 17, bounded(int, 0, 53), "a BCM pin number 0-53"),
        gpio_edge=env_setting(
            "GPIO_EDGE", "rising", _choice(GPIO_EDGES), "rising, falling or both"
        ),
        gpio_pull_up=env_setting("GPIO_PULL_UP", False, _parse_bool, "on or off"),
        gpio_debounce=env_setting(
            "GPIO_DEBOUNCE", GPIO_DEBOUNCE, bounded(float, 0, 60), "seconds between 0 and 60"
        ),
        motion_threshold=env_setting(
            "MOTION_THRESHOLD", 1.0, bounded(float, 0.01, 100), "a percentage 0.01-100"
        ),
        motion_cooldown=env_setting(
            "MOTION_COOLDOWN", 5.0, bounded(float, 0, 86400), "seconds, 0 or more"
        ),
        simulated_seed=env_setting("SIMULATED_SEED", 0, int, "a whole number"),
    )
