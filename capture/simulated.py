"""A camera for machines without a Pi: a garden scene through a day, drawn on demand.

Brightness, colour and the reported lux follow the sun (up at 06:00, down at
18:00 local time), the capture time is printed on the picture, and now and then a
dark "bird" crosses the frame, so time-of-day and lux filters and the motion
trigger all have something real to work on. Everything, noise included, is a pure
function of the seed and the capture time, so a seed reproduces every picture.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from .frame import Frame
from .imaging import encode_jpeg, make_thumbnail

NIGHT_SKY = np.array([12, 16, 40], dtype=np.float32)
DAY_SKY = np.array([110, 170, 235], dtype=np.float32)
DAWN_SKY = np.array([235, 140, 80], dtype=np.float32)
GRASS = np.array([60, 130, 50], dtype=np.float32)
VISIT_PERIOD = 60.0
VISIT_LENGTH = 3.0
PREVIEW_LONG_EDGE = 320


def _local_hours(timestamp: float) -> float:
    local = datetime.fromtimestamp(timestamp).astimezone()
    return local.hour + local.minute / 60 + local.second / 3600


def sun_elevation(timestamp: float) -> float:
    """-1..1: the sine of the sun's height in a simple 06:00-18:00 day, local time."""
    return math.sin(math.pi * (_local_hours(timestamp) - 6) / 12)


def scene_lux(timestamp: float, seed: int) -> float:
    """Illuminance the simulated light meter reports: ~1 lx at night, up to ~25,000 lx at noon."""
    clouds = 0.6 + 0.4 * np.random.default_rng([seed, int(timestamp // 600)]).random()
    return round(1.0 + 25_000 * max(0.0, sun_elevation(timestamp)) ** 1.5 * clouds, 1)


def bird_position(timestamp: float, seed: int) -> tuple[float, float] | None:
    """Where the visiting bird is, as fractions of width and height, or None when absent."""
    period = int(timestamp // VISIT_PERIOD)
    rng = np.random.default_rng([seed, period])
    start, height = rng.uniform(0, VISIT_PERIOD - VISIT_LENGTH), rng.uniform(0.15, 0.6)
    progress = (timestamp - period * VISIT_PERIOD - start) / VISIT_LENGTH
    if not 0.0 <= progress <= 1.0:
        return None
    return -0.1 + 1.2 * progress, height


class SimulatedCamera:
    """The `Camera` interface with a drawn scene instead of a sensor."""

    def __init__(
        self,
        resolution: tuple[int, int],
        thumbnail_size: int,
        jpeg_quality: int,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.resolution = resolution
        self.thumbnail_size = thumbnail_size
        self.jpeg_quality = jpeg_quality
        self.seed = seed
        self.clock = clock

    def render(self, timestamp: float, size: tuple[int, int], caption: bool) -> PILImage.Image:
        width, height = size
        elevation = sun_elevation(timestamp)
        daylight = min(1.0, max(0.0, elevation) * 2.5)
        dawn = max(0.0, 1.0 - abs(elevation) * 4)
        sky = NIGHT_SKY + (DAY_SKY - NIGHT_SKY) * daylight + (DAWN_SKY - DAY_SKY) * dawn * 0.5
        rows = np.linspace(1.0, 0.75, height, dtype=np.float32)[:, None, None]
        pixels = np.broadcast_to(sky * rows, (height, width, 3)).copy()
        horizon = int(height * 0.7)
        pixels[horizon:] = GRASS * (0.15 + 0.85 * daylight)
        if elevation > 0:
            sun_x = int(width * (0.1 + 0.8 * (_local_hours(timestamp) - 6) / 12))
            sun_y = int(horizon * (1 - elevation * 0.9))
            yy, xx = np.ogrid[:height, :width]
            disc = (yy - sun_y) ** 2 + (xx - sun_x) ** 2 < (height * 0.05) ** 2
            pixels[disc] = (255, 240, 180)
        bird = bird_position(timestamp, self.seed)
        if bird is not None:
            bx, by, radius = int(bird[0] * width), int(bird[1] * height), max(2, height // 14)
            band = slice(max(0, by - radius), by + radius)
            pixels[band, max(0, bx - radius) : max(0, bx + radius)] = 20
        noise = np.random.default_rng([self.seed, int(timestamp * 1000)]).normal(0, 3, pixels.shape)
        picture = PILImage.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
        if caption:
            self._draw_caption(picture, timestamp)
        return picture

    @staticmethod
    def _draw_caption(picture: PILImage.Image, timestamp: float) -> None:
        local = datetime.fromtimestamp(timestamp).astimezone()
        text = local.strftime("%Y-%m-%d %H:%M:%S %Z")
        size = max(10, picture.height // 14)
        draw = ImageDraw.Draw(picture)
        font = ImageFont.load_default(size=size)
        draw.text((size // 2 + 2, size // 2 + 2), text, fill=(0, 0, 0), font=font)
        draw.text((size // 2, size // 2), text, fill=(255, 255, 255), font=font)

    def capture(self) -> Frame:
        timestamp = self.clock()
        picture = self.render(timestamp, self.resolution, caption=True)
        lux = scene_lux(timestamp, self.seed)
        brightness = min(1.0, max(0.0, sun_elevation(timestamp)))
        return Frame(
            jpeg=encode_jpeg(picture, self.jpeg_quality),
            thumbnail=make_thumbnail(picture, self.thumbnail_size),
            width=self.resolution[0],
            height=self.resolution[1],
            timestamp=timestamp,
            lux=lux,
            exposure_time=int(min(200_000, 1_000_000 / (1 + lux / 10))),
            analogue_gain=round(8.0 - 7.0 * brightness, 2),
            colour_temperature=int(3000 + 3500 * min(1.0, brightness * 3)) if lux > 2 else 4000,
        )

    def preview(self) -> np.ndarray:
        scale = min(1.0, PREVIEW_LONG_EDGE / max(self.resolution))
        size = (max(2, int(self.resolution[0] * scale)), max(2, int(self.resolution[1] * scale)))
        return np.asarray(self.render(self.clock(), size, caption=False).convert("L"))

    def close(self) -> None:
        """Nothing to release."""
