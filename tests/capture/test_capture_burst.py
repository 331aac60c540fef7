"""50 captures in the same second from two cameras give 100 distinct hashes."""

from __future__ import annotations

from pathlib import Path

import redis

from picat.capture.durable import DurableWriter, connect_single
from picat.capture.service import build_capture
from picat.capture.spool import Spool
from picat.capture.uploader import Uploader
from picat.schema import Catalogue

from .helpers import keys_of, small_camera

SAME_SECOND = 1_790_000_000.0


def test_two_cameras_fifty_captures_each_in_one_second(
    redis_url: str, r: redis.Redis, catalogue: Catalogue, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool", 50 * 2**20)
    cameras = {
        "pi-north": small_camera(clock=lambda: SAME_SECOND, seed=1),
        "pi-south": small_camera(clock=lambda: SAME_SECOND + 0.5, seed=2),
    }
    for _ in range(50):
        for camera_id, camera in cameras.items():
            spool.put(build_capture(camera.capture(), camera_id, "motion", ttl=0))

    uploader = Uploader(spool, DurableWriter(connect_single(redis_url), catalogue), catalogue)
    assert uploader.drain_once() == 100

    keys = keys_of(r, catalogue)
    assert len(keys) == 100
    cameras_seen = [r.hget(key, "camera") for key in keys]
    assert cameras_seen.count(b"pi-north") == cameras_seen.count(b"pi-south") == 50
    assert {int(float(r.hget(key, "timestamp"))) for key in keys} == {int(SAME_SECOND)}
    found = r.execute_command("FT.SEARCH", catalogue.index, "@camera:{pi\\-north}", "LIMIT", 0, 0)
    assert found[0] == 50
    assert spool.pending() == []
