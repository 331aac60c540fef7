"""Shared pieces of the image-store tests: captures written through the real uploader."""

from __future__ import annotations

from pathlib import Path

import redis

from picat.capture.durable import DurableWriter
from picat.capture.service import build_capture
from picat.capture.spool import Capture, Spool
from picat.capture.uploader import Uploader
from picat.schema import IMAGE_DATA, Catalogue, Image, store
from picat.schema.originals import checksum

from ...capture.helpers import small_camera


def capture_through_spool(
    r: redis.Redis, catalogue: Catalogue, spool_dir: Path, count: int, ttl: int = 3600
) -> list[Capture]:
    """`count` captures spooled, then delivered by the uploader as `picat capture` does."""
    source = small_camera()
    captures = [build_capture(source.capture(), "store-cam", "interval", ttl)
                for _ in range(count)]
    spool = Spool(spool_dir, 50 * 2**20)
    try:
        for capture in captures:
            spool.put(capture)
        uploader = Uploader(spool, DurableWriter(r, catalogue), catalogue)
        assert uploader.try_drain()
        assert spool.pending() == []
    finally:
        spool.close()
    return captures


def assert_stored(r: redis.Redis, catalogue: Catalogue, image_id: str, data: bytes) -> Image:
    """The hash is the record: metadata and thumbnail in Redis, the original where it should be."""
    key = catalogue.key(image_id)
    image = store.load(r, image_id, catalogue)
    assert image is not None
    assert r.hexists(key, "thumbnail")
    if catalogue.originals is None:
        assert r.hget(key, IMAGE_DATA) == data
        assert image.blob_key is None
    else:
        assert not r.hexists(key, IMAGE_DATA)
        assert (image.blob_store, image.blob_key, image.blob_size) == (
            catalogue.originals.spec, key, len(data))
        assert image.checksum == checksum(data)
        assert catalogue.originals.get(key) == data
    assert store.load_original(r, image, catalogue) == data
    return image


def colour(seed: int) -> tuple[int, int, int]:
    """A colour of its own for picture `seed`, so that each `jpeg(colour(seed))` differs."""
    return seed * 40 % 256, 120, 200
