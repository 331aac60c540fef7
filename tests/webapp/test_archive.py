"""The zip of 1,000 thumbnail-size pictures streams with bounded memory and unique names."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import redis

from picat.schema import Catalogue, new_image_id, store
from picat.webapp.archive import Names, stream_zip

from ..factories import jpeg, picture

BASE = 1_790_000_000.0


def _noisy_jpeg(seed: int) -> bytes:
    """About 30 kB: a 320x240 JPEG of noise, the size of a capture thumbnail or larger."""
    return jpeg(size=(320, 240), quality=75, noise=seed)


def test_zip_of_1000_pictures_streams_in_bounded_memory(
    r: redis.Redis, catalogue: Catalogue
) -> None:
    bodies = [_noisy_jpeg(seed) for seed in range(4)]
    images = []
    with r.pipeline(transaction=False) as pipe:
        for i in range(1000):
            # Pairs share a capture second and camera, so names must be made unique.
            image = picture(BASE + i // 2, camera="garden")
            key = catalogue.key(image.pk)
            pipe.hset(key, mapping={**image.to_fields(), "image_data": bodies[i % 4]})
            images.append(image)
        pipe.execute()
    expected_bytes = sum(len(bodies[i % 4]) for i in range(1000))
    batches = [images[i : i + 50] for i in range(0, 1000, 50)]

    archive = io.BytesIO()
    tracemalloc.start()
    try:
        largest_chunk = 0
        for chunk in stream_zip(r, batches, catalogue):
            largest_chunk = max(largest_chunk, len(chunk))
            archive.write(chunk)
            archive.truncate(0)  # keep only what a socket would: nothing
            archive.seek(0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"zip of 1000 pictures ({expected_bytes / 1e6:.1f} MB): peak {peak / 1e6:.2f} MB, "
          f"largest chunk {largest_chunk / 1e6:.2f} MB")
    assert expected_bytes > 20_000_000
    assert peak < 7_000_000  # one batch of 50 pictures as Redis sent them, not 1,000 pictures
    assert largest_chunk < 200_000  # one picture and its headers


def test_zip_content_and_unique_names(r: redis.Redis, catalogue: Catalogue) -> None:
    body = _noisy_jpeg(1)
    images = [
        picture(BASE + 0.123, pk=new_image_id(BASE), camera="garden"),
        picture(BASE + 0.123, pk=new_image_id(BASE), camera="garden"),
        picture(BASE + 0.123, pk=new_image_id(BASE), camera="feeder", mime_type="image/png"),
        picture(BASE + 1),
    ]
    for image in images[:3]:
        store.save(r, image, body, None, catalogue)  # the fourth is gone: left out
    data = b"".join(stream_zip(r, [images[:2], images[2:]], catalogue))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == [
            "2026-09-21T14-13-20.123Z_garden.jpg",
            "2026-09-21T14-13-20.123Z_garden_2.jpg",
            "2026-09-21T14-13-20.123Z_feeder.png",
        ]
        assert all(archive.read(name) == body for name in archive.namelist())
        assert archive.testzip() is None
    names = Names()
    assert len({names(images[0]) for _ in range(50)}) == 50
