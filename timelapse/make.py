"""One timelapse from start to end: choose the frames, read each picture, encode it.

Shared by the gallery's background jobs and `picat timelapse`: both hand in a
`report` callable that sees the progress after every frame (and may raise to
stop), so the loop itself knows nothing of Redis job records or terminals.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import redis
from PIL import Image as PILImage

from picat.schema import Catalogue, Image, store
from picat.schema.frames import Choice, frames
from picat.schema.query import Filters

from .encode import Encoder, VideoFormat

log = logging.getLogger(__name__)


class TooManyFrames(RuntimeError):
    """More frames than the limit (pictures arrived after the plan counted them)."""


class NoFrames(RuntimeError):
    """Nothing left to encode: the pictures expired or were deleted after the plan."""


@dataclass
class Progress:
    done: int
    planned: int
    started: float
    skipped: int = 0

    @property
    def fps(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        fps = self.fps
        return max(0, self.planned - self.done) / fps if fps > 0 else None


def caption(image: Image) -> str:
    """The picture's date and time at the camera (its UTC offset), and the camera."""
    if image.utc_offset is None:
        moment, zone = datetime.fromtimestamp(image.timestamp, UTC), " UTC"
    else:
        camera_zone = timezone(timedelta(seconds=image.utc_offset))
        moment, zone = datetime.fromtimestamp(image.timestamp, camera_zone), ""
    text = f"{moment:%Y-%m-%d %H:%M:%S}{zone}"
    return f"{text}  {image.camera}" if image.camera else text


def make(
    r: redis.Redis, catalogue: Catalogue, filters: Filters, choice: Choice, video: VideoFormat,
    out: Path, *, planned: int, max_frames: int, max_bytes: int,
    report: Callable[[Progress], None],
) -> Progress:
    """Write the video to `out` (the caller removes it if this raises)."""
    progress = Progress(0, planned, time.monotonic())
    with Encoder(out, video, max_bytes=max_bytes) as encoder:
        for image in frames(r, filters, choice, catalogue=catalogue):
            if progress.done >= max_frames:
                raise TooManyFrames(f"more than {max_frames:,} frames")
            data = store.load_original(r, image, catalogue)  # from Redis or the blob store
            if data is None:  # expired or deleted since it was found
                progress.skipped += 1
                continue
            try:
                frame = encoder.decode(data)
            except (OSError, ValueError, PILImage.DecompressionBombError) as exc:
                log.warning("timelapse: skipped %s, which does not decode: %s", image.pk, exc)
                progress.skipped += 1
                continue
            encoder.write(frame, caption(image))
            progress.done += 1
            report(progress)
        if progress.done == 0:
            raise NoFrames("no picture matches any more")
    return progress
