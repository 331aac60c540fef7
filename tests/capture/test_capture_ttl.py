"""Every hash written has a TTL when IMAGE_TTL > 0, checked right after the write; none at 0."""

from __future__ import annotations

import time

import pytest
import redis

from picat.capture.durable import DurableWriter, connect_single
from picat.capture.service import build_capture
from picat.schema import Catalogue

from .helpers import small_camera


def test_each_write_carries_its_ttl(
    redis_url: str, r: redis.Redis, catalogue: Catalogue
) -> None:
    writer = DurableWriter(connect_single(redis_url), catalogue)
    camera = small_camera()
    for ttl in (60, 3600, 7 * 24 * 3600):
        capture = build_capture(camera.capture(), "ttl-cam", "interval", ttl)
        writer.write([capture])
        remaining = r.pttl(catalogue.key(capture.image.pk))
        assert 0 < remaining <= ttl * 1000
        assert capture.image.expires_at == pytest.approx(capture.image.timestamp + ttl)


def test_ttl_counts_from_capture_time(
    redis_url: str, r: redis.Redis, catalogue: Catalogue
) -> None:
    taken = time.time() - 600
    frame = small_camera(clock=lambda: taken).capture()
    capture = build_capture(frame, "ttl-cam", "interval", 3600)
    DurableWriter(connect_single(redis_url), catalogue).write([capture])
    assert 2990 <= r.ttl(catalogue.key(capture.image.pk)) <= 3000


def test_zero_keeps_forever(redis_url: str, r: redis.Redis, catalogue: Catalogue) -> None:
    writer = DurableWriter(connect_single(redis_url), catalogue)
    capture = build_capture(small_camera().capture(), "ttl-cam", "interval", 0)
    writer.write([capture])
    key = catalogue.key(capture.image.pk)
    assert r.ttl(key) == -1
    assert r.hget(key, "expires_at") is None
