"""SIGKILL the Redis server under a running `picat capture`: nothing is lost or doubled."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from picat.embedded import EmbeddedRedis

from ..running import wait_for


@pytest.mark.slow
def test_capture_survives_redis_sigkill_and_restart(
    embedded_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    server = embedded_redis()
    spool_dir = tmp_path / "spool"
    log_path = tmp_path / "capture.log"
    env = {
        **os.environ,
        "REDIS_URL": server.url,
        "PICAT_DATA_DIR": str(tmp_path / "data"),
        "SPOOL_DIR": str(spool_dir),
        "CAPTURE_INTERVAL": "0.3",
        "CAMERA_RESOLUTION": "160x120",
        "THUMBNAIL_SIZE": "64",
        "CAMERA_ID": "kill-test",
        "IMAGE_TTL": "3600",
    }

    def log_text() -> str:
        return log_path.read_text(errors="replace")

    with open(log_path, "wb") as log:
        capture = subprocess.Popen(
            [sys.executable, "-m", "picat.cli", "-v", "capture", "--camera", "simulated"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: log_text().count("stored image:") >= 3, timeout=30)
        server.kill()
        time.sleep(3)
        assert "Redis is unreachable" in log_text()
        assert len(list(spool_dir.glob("*.spool"))) >= 5
        embedded_redis(data_dir=server.data_dir, port=server.port)
        wait_for(lambda: "Redis is back" in log_text(), timeout=30)
        time.sleep(1)
    finally:
        capture.send_signal(signal.SIGTERM)
        code = capture.wait(30)
    assert code == 0, log_text()

    text = log_text()
    captured = re.findall(r"captured ([0-9A-Z]{26}) at ([0-9.]+)", text)
    stored = re.findall(r"stored image:([0-9A-Z]{26}) ", text)
    ids = [image_id for image_id, _ in captured]
    assert len(ids) >= 10 and ids == sorted(ids)
    assert stored == ids, "every capture stored exactly once, in capture order"

    r = redis.Redis.from_url(server.url)
    in_redis = sorted(key.decode().removeprefix("image:") for key in r.scan_iter("image:*"))
    assert in_redis == ids
    for image_id, taken in captured:
        key = f"image:{image_id}"
        assert float(r.hget(key, "timestamp")) == pytest.approx(float(taken), abs=0.001)
        assert 0 < r.ttl(key) <= 3600
    assert [p.name for p in spool_dir.iterdir()] == [".lock"]
