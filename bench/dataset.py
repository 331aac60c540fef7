"""A synthetic catalogue: a small fleet of cameras over months, written through `picat.schema`.

Four cameras take a picture every one to two minutes with jitter, and two of them
also fire motion bursts (3 to 8 frames, 0.25 s apart) in daylight: about 4,800
pictures a day. Lux follows the sun over London (season, time of day, passing
clouds) and is a few lux at night. Timestamps run backwards from the moment of
loading, so the newest picture is a minute old, as in a catalogue whose cameras are
running; a bigger catalogue is an older fleet, not a denser one (1M pictures span
about seven months).

Every hash carries the fields the capture service writes (no TTL: `IMAGE_TTL=0`).
`image_data` is a 64-byte stand-in unique to each picture, because N full-size
pictures would not fit in memory; full-size pictures are measured in the import and
page-weight scenarios. Thumbnails are real JPEGs made by the capture code from
photo-like pictures (`photos.py`) at its default size (320 px, about 14 KB) up to
`REALISTIC_UP_TO` pictures, and tiny real JPEGs (24 px, under 1 KB) above that.
"""

from __future__ import annotations

import hashlib
import heapq
import io
import itertools
import math
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import redis
from PIL import Image as PILImage

from picat.capture.imaging import make_thumbnail
from picat.schema import IMAGE_DATA, THUMBNAIL, Catalogue, Image, new_image_id
from picat.schema.clock import local_time_fields

from .photos import photos

ZONE = ZoneInfo("Europe/London")
LATITUDE = math.radians(51.5)
REALISTIC_UP_TO = 100_000
REALISTIC_EDGE = 320
TINY_EDGE = 24
BATCH = 2000


@dataclass(frozen=True)
class CameraPlan:
    name: str
    interval: float
    """Seconds between timer pictures (each one jittered by +-10 %)."""
    burst_chance: float
    """Chance that a daylight timer picture comes with a motion burst."""
    lens_position: float | None = None


FLEET = (
    CameraPlan("garden", 60.0, 0.0, lens_position=1.5),
    CameraPlan("feeder", 60.0, 0.05),
    CameraPlan("greenhouse", 120.0, 0.0),
    CameraPlan("door", 90.0, 0.02),
)


@dataclass(frozen=True)
class Picture:
    image: Image
    image_data: bytes
    thumbnail: bytes


@dataclass(frozen=True)
class LoadReport:
    pictures: int
    blob_bytes: int
    """Sum of image_data and thumbnail lengths: what memory overhead is measured beyond."""
    seconds: float
    newest: float
    oldest: float
    thumbnail_bytes: int
    """Mean thumbnail size."""


def sun_height(timestamp: float) -> float:
    """Sine of the sun's elevation over London (solar time ~ UTC): season and hour."""
    day_of_year = (timestamp / 86400) % 365.25
    declination = math.radians(23.44) * math.sin(2 * math.pi * (day_of_year - 80) / 365.25)
    hour_angle = 2 * math.pi * ((timestamp % 86400) / 86400 - 0.5)
    return math.sin(LATITUDE) * math.sin(declination) + math.cos(LATITUDE) * math.cos(
        declination
    ) * math.cos(hour_angle)


def _clouds(timestamp: float) -> float:
    """0.25..1: light let through by the sky in this ten-minute window (deterministic)."""
    window = int(timestamp // 600)
    return 0.25 + 0.75 * ((window * 2654435761) % 4294967296) / 4294967296


def scene_lux(timestamp: float, rng: random.Random) -> float:
    """Up to ~100,000 lx at a clear summer noon; a few lx of street light at night."""
    daylight = 110_000 * max(0.0, sun_height(timestamp)) ** 1.2 * _clouds(timestamp)
    return round(daylight + rng.uniform(0.5, 4.0), 1)


def _camera_times(plan: CameraPlan, end: float, rng: random.Random) -> Iterator[
    tuple[float, str, CameraPlan]
]:
    """(timestamp, trigger, camera), newest first, forever."""
    t = end - rng.uniform(0, plan.interval)
    while True:
        if plan.burst_chance and sun_height(t) > 0.1 and rng.random() < plan.burst_chance:
            for k in range(rng.randint(3, 8), 0, -1):
                yield round(t + 0.25 * k, 3), "motion", plan
        yield round(t, 3), "interval", plan
        t -= plan.interval * rng.uniform(0.9, 1.1)


def thumbnail_pool(edge: int, seed: int) -> list[bytes]:
    """24 thumbnails of full-size photo-like pictures, made by the capture code."""
    return [
        make_thumbnail(PILImage.open(io.BytesIO(data)), edge) for data in photos(24, seed)
    ]


def pictures(n: int, seed: int, end: float, pool: list[bytes]) -> Iterator[Picture]:
    """N pictures of the fleet, newest first, ending at `end`."""
    rng = random.Random(seed)
    streams = [_camera_times(plan, end, random.Random(seed * 31 + i)) for i, plan in
               enumerate(FLEET)]
    merged = heapq.merge(*streams, key=lambda item: item[0], reverse=True)
    for timestamp, trigger, plan in itertools.islice(merged, n):
        image_id = new_image_id(timestamp)
        lux = scene_lux(timestamp, rng)
        time_of_day, utc_offset = local_time_fields(timestamp, ZONE)
        data = (b"\xff\xd8\xff\xe0" + hashlib.sha256(image_id.encode()).digest() * 2)[:64]
        brightness = min(1.0, lux / 10_000)
        image = Image(
            pk=image_id, mime_type="image/jpeg", timestamp=timestamp, lux=lux,
            camera=plan.name, trigger=trigger, width=1640, height=1232,
            time_of_day=time_of_day, utc_offset=utc_offset,
            checksum=hashlib.sha256(data).hexdigest(),
            exposure_time=int(min(200_000, 1_000_000 / (1 + lux / 10))),
            analogue_gain=round(8.0 - 7.0 * brightness, 2),
            colour_temperature=int(3000 + 3500 * brightness),
            lens_position=plan.lens_position,
        )
        yield Picture(image, data, pool[int(timestamp) % len(pool)])


def load(
    r: redis.Redis, items: Iterable[Picture], catalogue: Catalogue, progress: bool = False
) -> LoadReport:
    """Write pictures with pipelined HSETs (no MULTI: there is no TTL to keep atomic)."""
    began = time.perf_counter()
    count = blob_bytes = thumb_bytes = 0
    newest, oldest = -math.inf, math.inf
    batch = iter(items)
    while chunk := list(itertools.islice(batch, BATCH)):
        with r.pipeline(transaction=False) as pipe:
            for picture in chunk:
                fields: dict[str, str | bytes] = dict(picture.image.to_fields())
                fields[IMAGE_DATA] = picture.image_data
                fields[THUMBNAIL] = picture.thumbnail
                pipe.hset(catalogue.key(picture.image.pk), mapping=fields)
                blob_bytes += len(picture.image_data) + len(picture.thumbnail)
                thumb_bytes += len(picture.thumbnail)
                newest = max(newest, picture.image.timestamp)
                oldest = min(oldest, picture.image.timestamp)
            pipe.execute()
        count += len(chunk)
        if progress:
            print(f"\r  loaded {count:,}", end="", flush=True)
    if progress:
        print()
    return LoadReport(
        count, blob_bytes, time.perf_counter() - began, newest, oldest,
        thumb_bytes // max(count, 1),
    )
