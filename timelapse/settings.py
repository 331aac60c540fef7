"""The limits that protect the machine from a timelapse, and where videos are kept.

Read from the environment once, when the gallery or the command starts, so a bad
value stops it with a message that names the variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from picat.settings import bounded, env_setting

DEFAULT_MAX_FRAMES = 10_000
DEFAULT_MAX_MB = 2_000
DEFAULT_TTL = 7 * 86400
FOLDER = "timelapses"


@dataclass(frozen=True)
class Limits:
    max_frames: int = DEFAULT_MAX_FRAMES
    max_bytes: int = DEFAULT_MAX_MB * 1_000_000
    ttl: int = DEFAULT_TTL
    """Seconds a finished video is kept; 0 keeps it until deleted."""


def _digits(text: str) -> int:
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def _whole(name: str, default: int, low: int, high: int) -> int:
    return env_setting(
        name, default, bounded(_digits, low, high), f"a whole number from {low} to {high}"
    )


def load_limits() -> Limits:
    """`PICAT_TIMELAPSE_MAX_FRAMES`, `PICAT_TIMELAPSE_MAX_MB`, `PICAT_TIMELAPSE_TTL`."""
    return Limits(
        max_frames=_whole("PICAT_TIMELAPSE_MAX_FRAMES", DEFAULT_MAX_FRAMES, 1, 1_000_000),
        max_bytes=_whole("PICAT_TIMELAPSE_MAX_MB", DEFAULT_MAX_MB, 1, 1_000_000) * 1_000_000,
        ttl=_whole("PICAT_TIMELAPSE_TTL", DEFAULT_TTL, 0, 100 * 365 * 86400),
    )


def video_folder(data_dir: Path) -> Path:
    """`$PICAT_DATA_DIR/timelapses`: finished videos, and the one being written."""
    return data_dir / FOLDER
