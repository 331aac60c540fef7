"""The synthetic catalogues every benchmark, the load test and the tests that need a
fleet use: one generator (`fleet`), written through `picat.schema`.

`fleet` makes the metadata of N pictures of a fleet of cameras, newest first, ending
at a given moment: each camera takes a timer picture every `interval` seconds with
+-10 % jitter and, in daylight, sometimes a motion burst; lux follows the sun over
London. Its plans:

- `FLEET` (the default): four cameras, one picture every one to two minutes each, two
  of them firing bursts of 3 to 8 frames 0.25 s apart; lux from `scene_lux` (season,
  time of day, passing clouds, a few lux at night): about 4,800 pictures a day, so
  1M pictures span about seven months. `pictures` adds what the capture service
  writes beside the metadata (exposure, gain, colour temperature, checksum), a 64-byte
  stand-in `image_data` unique to each picture (N full-size pictures would not fit in
  memory; full-size pictures are measured in the import and page-weight scenarios),
  and real JPEG thumbnails made by the capture code from photo-like pictures
  (`photos.py`) at its default size (320 px, about 14 KB) up to `REALISTIC_UP_TO`
  pictures, tiny ones (24 px, under 1 KB) above that.
- `HARD_FLEET`, paging's hard cases (`bench.paging`): four cameras, one picture a
  minute each, bursts of 20 to 100 pictures sharing one timestamp, the `door` camera
  stopped 30 days before the end; lux from `seed_lux`, integers and 0 at night as the
  seed project writes them, so half the pictures share lux 0.

Writers: `load` (pipelined HSETs, no TTL: the fastest way to a big catalogue),
`save` (through `store.save_many`, as capture and import write: with the summary) and
`save_seed_format` (hashes as the seed project wrote them).
"""

from __future__ import annotations

import hashlib
import heapq
import io
import itertools
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import redis
from PIL import Image as PILImage

from picat.capture.imaging import make_thumbnail
from picat.schema import IMAGE_DATA, THUMBNAIL, Catalogue, Image, new_image_id
from picat.schema.clock import local_time_fields
from picat.schema.store import save_many

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
    burst_frames: tuple[int, int] = (3, 8)
    """Fewest and most frames of a burst."""
    burst_gap: float = 0.25
    """Seconds between a burst's frames; 0: they share one timestamp."""
    stopped: float = 0.0
    """Seconds before the end at which this camera stopped taking pictures."""


FLEET = (
    CameraPlan("garden", 60.0, 0.0, lens_position=1.5),
    CameraPlan("feeder", 60.0, 0.05),
    CameraPlan("greenhouse", 120.0, 0.0),
    CameraPlan("door", 90.0, 0.02),
)
DAY = 86400
HARD_FLEET = (
    CameraPlan("garden", 60.0, 0.005, burst_frames=(20, 100), burst_gap=0.0),
    CameraPlan("feeder", 60.0, 0.005, burst_frames=(20, 100), burst_gap=0.0),
    CameraPlan("greenhouse", 60.0, 0.0),
    CameraPlan("door", 60.0, 0.0, stopped=30 * DAY),
)
Light = Callable[[float, random.Random], float]
"""Lux at a moment, from the generator's random numbers."""


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


def seed_lux(timestamp: float, rng: random.Random) -> float:
    """0 at night, up to ~20,000 at noon; integers, like the seed project's light meter."""
    sun = math.sin(math.pi * ((timestamp % DAY) / 3600 - 6) / 12)
    return float(round(max(0.0, sun) ** 1.5 * 20_000 * rng.uniform(0.5, 1.0)))


def _camera_times(plan: CameraPlan, end: float, rng: random.Random) -> Iterator[
    tuple[float, str, CameraPlan]
]:
    """(timestamp, trigger, camera), newest first, forever."""
    t = end - plan.stopped - rng.uniform(0, plan.interval)
    low, high = plan.burst_frames
    while True:
        if plan.burst_chance and sun_height(t) > 0.1 and rng.random() < plan.burst_chance:
            for k in range(rng.randint(low, high), 0, -1):
                yield round(t + plan.burst_gap * k, 3), "motion", plan
        yield round(t, 3), "interval", plan
        t -= plan.interval * rng.uniform(0.9, 1.1)


def thumbnail_pool(edge: int, seed: int) -> list[bytes]:
    """24 thumbnails of full-size photo-like pictures, made by the capture code."""
    return [
        make_thumbnail(PILImage.open(io.BytesIO(data)), edge) for data in photos(24, seed)
    ]


def fleet(
    n: int, end: float, seed: int, plans: tuple[CameraPlan, ...] = FLEET,
    light: Light = scene_lux, after: float = -math.inf,
) -> Iterator[Image]:
    """Up to N pictures of the fleet, newest first, ending at `end`, none at or before
    `after`: the metadata a camera sends (ids, times, lux, camera, trigger, size)."""
    rng = random.Random(seed)
    streams = [_camera_times(plan, end, random.Random(seed * 31 + i)) for i, plan in
               enumerate(plans)]
    merged = heapq.merge(*streams, key=lambda item: item[0], reverse=True)
    newer = itertools.takewhile(lambda item: item[0] > after, merged)
    for timestamp, trigger, plan in itertools.islice(newer, n):
        time_of_day, utc_offset = local_time_fields(timestamp, ZONE)
        yield Image(
            pk=new_image_id(timestamp), timestamp=timestamp, lux=light(timestamp, rng),
            camera=plan.name, trigger=trigger, width=1640, height=1232,
            time_of_day=time_of_day, utc_offset=utc_offset, lens_position=plan.lens_position,
        )


def pictures(n: int, seed: int, end: float, pool: list[bytes]) -> Iterator[Picture]:
    """N pictures of `FLEET`, newest first, ending at `end`, as capture stores them."""
    for image in fleet(n, end, seed):
        data = (b"\xff\xd8\xff\xe0" + hashlib.sha256(image.pk.encode()).digest() * 2)[:64]
        brightness = min(1.0, (image.lux or 0.0) / 10_000)
        described = image.model_copy(update={
            "mime_type": "image/jpeg", "checksum": hashlib.sha256(data).hexdigest(),
            "exposure_time": int(min(200_000, 1_000_000 / (1 + (image.lux or 0.0) / 10))),
            "analogue_gain": round(8.0 - 7.0 * brightness, 2),
            "colour_temperature": int(3000 + 3500 * brightness),
        })
        yield Picture(described, data, pool[int(image.timestamp) % len(pool)])


def load(
    r: redis.Redis, items: Iterable[Picture], catalogue: Catalogue, progress: bool = False,
    originals: str | None = None,
) -> LoadReport:
    """Write pictures with pipelined HSETs (no MULTI: there is no TTL to keep atomic).

    With `originals` (an `IMAGE_STORE` such as `s3://bucket/prefix`) each hash refers to
    its original there instead of holding it, as a hash whose original went to a store
    does; the blobs themselves are not uploaded.
    """
    began = time.perf_counter()
    count = blob_bytes = thumb_bytes = 0
    newest, oldest = -math.inf, math.inf
    batch = iter(items)
    while chunk := list(itertools.islice(batch, BATCH)):
        with r.pipeline(transaction=False) as pipe:
            for picture in chunk:
                key = catalogue.key(picture.image.pk)
                fields: dict[str, str | bytes] = dict(picture.image.to_fields())
                if originals is None:
                    fields[IMAGE_DATA] = picture.image_data
                    blob_bytes += len(picture.image_data)
                else:
                    fields.update(blob_store=originals, blob_key=key, blob_size="262144")
                fields[THUMBNAIL] = picture.thumbnail
                pipe.hset(key, mapping=fields)
                blob_bytes += len(picture.thumbnail)
                thumb_bytes += len(picture.thumbnail)
                newest = max(newest, picture.image.timestamp)
                oldest = min(oldest, picture.image.timestamp)
            pipe.execute()
        count += len(chunk)
        if progress:
            print(f"\r  {catalogue.prefix} loaded {count:,}", end="", flush=True)
    if progress:
        print()
    return LoadReport(
        count, blob_bytes, time.perf_counter() - began, newest, oldest,
        thumb_bytes // max(count, 1),
    )


def save(r: redis.Redis, catalogue: Catalogue, images: Iterable[Image]) -> int:
    """Through `store.save_many`, as capture and import write (hash, TTL, summary), with
    64-byte stand-ins for the picture and the thumbnail; how many were written."""
    blob, written = b"\xff\xd8" + bytes(62), 0
    batch = iter(images)
    while chunk := list(itertools.islice(batch, BATCH)):
        save_many(r, [(image, blob, blob) for image in chunk], catalogue)
        written += len(chunk)
        print(f"\r  {catalogue.prefix} {written:,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return written


SEED_CAMERA = (CameraPlan("seed", 10.0, 0.0),)
"""One picture every 9 to 11 s: whole seconds apart, as `image:<unix seconds>` needs."""


def save_seed_format(r: redis.Redis, catalogue: Catalogue, n: int, end: float, seed: int
                     ) -> None:
    """N hashes as the seed project writes them (`image:<unix seconds>`, `timestamp`,
    `lux` as integers, `mime_type`, `image_data` only), with plain HSETs: no summary."""
    written = 0
    images = fleet(n, end, seed, SEED_CAMERA, seed_lux)
    while chunk := list(itertools.islice(images, BATCH)):
        with r.pipeline(transaction=False) as pipe:
            for image in chunk:
                seconds = str(int(image.timestamp))
                pipe.hset(catalogue.key(seconds), mapping={
                    "timestamp": seconds, "lux": str(int(image.lux or 0)),
                    "mime_type": "image/jpeg", "image_data": b"\xff\xd8" + bytes(62),
                })
            pipe.execute()
        written += len(chunk)
        print(f"\r  {catalogue.prefix} {written:,}", end="", file=sys.stderr)
    print(file=sys.stderr)
