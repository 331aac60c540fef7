"""Small shared pieces for the capture tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import redis

from picat.capture.durable import DurableWriter
from picat.capture.service import CaptureService
from picat.capture.simulated import SimulatedCamera
from picat.capture.spool import Spool
from picat.capture.triggers import Trigger
from picat.capture.uploader import Uploader
from picat.schema import Catalogue

SMALL = (160, 120)


def small_camera(clock: Callable[[], float] = time.time, seed: int = 0) -> SimulatedCamera:
    return SimulatedCamera(SMALL, 64, 70, seed=seed, clock=clock)


def service_for(
    r: redis.Redis,
    catalogue: Catalogue,
    spool_dir: Path,
    trigger: Trigger,
    camera_id: str = "test-cam",
    ttl: int = 3600,
    max_bytes: int = 50 * 2**20,
) -> CaptureService:
    spool = Spool(spool_dir, max_bytes)
    uploader = Uploader(spool, DurableWriter(r, catalogue), catalogue)
    return CaptureService(small_camera(), trigger, spool, uploader, camera_id, ttl)


def keys_of(r: redis.Redis, catalogue: Catalogue) -> list[bytes]:
    return sorted(r.scan_iter(match=catalogue.prefix + "*", count=1000))
