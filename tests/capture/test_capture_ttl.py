"""Every hash written has a TTL when IMAGE_TTL > 0, checked right after the write; none at 0."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from picat.capture.durable import DurableWriter, connect_single
from picat.capture.service import build_capture
from picat.schema import Catalogue

from ..factories import jpeg
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


def test_camera_clock_behind_by_more_than_the_ttl_loses_nothing(
    redis_url: str, r: redis.Redis, catalogue: Catalogue
) -> None:
    """A Pi booted without a real-time clock: 1970 by its clock. Acknowledged means held."""
    for behind in (3 * 86400, time.time() - 1):
        frame = small_camera(clock=lambda b=behind: time.time() - b).capture()
        capture = build_capture(frame, "ttl-cam", "interval", 3600)
        DurableWriter(connect_single(redis_url), catalogue).write([capture])
        time.sleep(0.3)  # expired keys go within ~200 ms
        key = catalogue.key(capture.image.pk)
        assert r.exists(key), f"acknowledged, then gone (clock {behind:.0f} s behind)"
        assert 3500 < r.ttl(key) <= 3600
        assert r.hget(key, "clock_suspect") == b"1"
        assert float(r.hget(key, "timestamp")) == pytest.approx(capture.image.timestamp)


def test_import_counts_its_ttl_from_the_server_clock(
    redis_url: str, r: redis.Redis, catalogue: Catalogue, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The importing machine's clock 30 days behind: its pictures still get the full TTL."""
    from picat.capture import importer

    (tmp_path / "a.jpg").write_bytes(jpeg((90, 120, 40), quality=75))
    real = time.time
    monkeypatch.setattr(importer.time, "time", lambda: real() - 30 * 86400)
    report = importer.import_files(
        connect_single(redis_url), [tmp_path], "imp", 3600, 64, catalogue, progress=False,
        workers=1,
    )
    monkeypatch.undo()
    assert len(report.imported) == 1
    (key,) = r.keys(catalogue.prefix + "*")
    assert 3500 < r.ttl(key) <= 3600
