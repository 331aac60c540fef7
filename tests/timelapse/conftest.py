"""Pictures whose order is painted into them, and a `Jobs` on the test catalogue."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import av
import pytest
import redis

from picat.schema import Catalogue, Image, store
from picat.timelapse.jobs import Jobs
from picat.timelapse.settings import Limits

from ..factories import jpeg, picture

SIZE = (64, 48)


def code_colour(n: int) -> tuple[int, int, int]:
    """A colour that says `n` (0-255) in steps of 16, far apart enough to survive H.264."""
    return (n % 16) * 16 + 8, (n // 16) * 16 + 8, 128


def read_code(rgb) -> int:
    """The number `code_colour` painted, from a decoded frame's middle."""
    h, w, _ = rgb.shape
    middle = rgb[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].reshape(-1, 3).mean(axis=0)
    low, high = (min(15, max(0, round((value - 8) / 16))) for value in middle[:2])
    return high * 16 + low


def decoded_codes(path: Path) -> tuple[list[int], float]:
    """The code of every frame of the video at `path`, and its frame rate."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        codes = [read_code(frame.to_ndarray(format="rgb24")) for frame in container.decode(stream)]
        return codes, float(stream.average_rate)


SavePictures = Callable[..., list[Image]]


@pytest.fixture
def save_pictures(r: redis.Redis, catalogue: Catalogue) -> SavePictures:
    """Save pictures taken at `timestamps`, picture n painted with `code_colour(codes[n])`."""

    def save(
        timestamps: Sequence[float], codes: Sequence[int], *,
        time_of_day: Sequence[int] | None = None, size: tuple[int, int] = SIZE,
    ) -> list[Image]:
        images = []
        for n, (timestamp, code) in enumerate(zip(timestamps, codes, strict=True)):
            image = picture(
                timestamp, lux=100.0, camera="garden", trigger="interval", width=size[0],
                height=size[1], time_of_day=None if time_of_day is None else time_of_day[n],
                utc_offset=0,
            )
            store.save(r, image, jpeg(code_colour(code), size, quality=95), None, catalogue)
            images.append(image)
        return images

    return save


@pytest.fixture
def jobs(r: redis.Redis, catalogue: Catalogue, tmp_path: Path, forget_jobs: None) -> Jobs:
    return Jobs(r, catalogue, tmp_path / "videos", Limits(), lease=1.0)
