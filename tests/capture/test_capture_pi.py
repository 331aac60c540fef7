"""`picat capture` on a (stand-in) Raspberry Pi: honest `auto`, no hanging, SIGTERM in time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from picat.capture import cameras
from picat.cli import main
from picat.embedded import EmbeddedRedis, free_port

from ..running import wait_for

STANDIN = Path(__file__).parent / "standin"


@pytest.fixture
def on_a_pi(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A device tree that names a Raspberry Pi, and a machine that has no Redis to reach."""
    model = tmp_path / "device-tree-model"
    model.write_bytes(b"Raspberry Pi 4 Model B Rev 1.5\0")
    monkeypatch.setattr(cameras, "DEVICE_TREE_MODEL", model)
    for name in ("CAMERA", "CAMERA_RESOLUTION", "CAPTURE_TRIGGER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PICAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    return model


def test_auto_on_a_pi_with_numpy_2_exits_with_the_cause_and_the_fix(
    on_a_pi: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.syspath_prepend(str(STANDIN))
    monkeypatch.setenv("PICAMERA2_STANDIN", json.dumps({"import_error": "numpy"}))
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    assert main(["capture", "--once"]) == 2
    err = capsys.readouterr().err
    assert "numpy.dtype size changed" in err
    assert "pip install -e '.[pi]'" in err
    assert not (on_a_pi.parent / "data" / "spool").exists()  # nothing simulated was stored


def test_auto_on_a_pi_without_picamera2_exits_and_never_simulates(
    on_a_pi: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)
    assert main(["capture", "--once"]) == 2
    assert "apt install -y python3-picamera2" in capsys.readouterr().err


def picat_capture(
    redis_url: str, tmp_path: Path, scenario: dict[str, object], **env: str
) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(STANDIN), os.environ.get("PYTHONPATH")])),
        "PICAMERA2_STANDIN": json.dumps(scenario),
        "REDIS_URL": redis_url,
        "PICAT_DATA_DIR": str(tmp_path / "data"),
        "CAMERA_RESOLUTION": "320x180",
        "THUMBNAIL_SIZE": "64",
        "CAMERA_ID": "standin-pi",
        "CAPTURE_INTERVAL": "0.2",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "picat.cli", "capture", "--camera", "picamera2"],
        env=environment, stderr=subprocess.PIPE, text=True,
    )


def test_a_stalled_camera_ends_the_process_non_zero_in_bounded_time(
    embedded_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    server = embedded_redis()
    process = picat_capture(server.url, tmp_path, {"stall_after": 2}, CAMERA_TIMEOUT="0.5")
    try:
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode not in (0, None), err
    assert "delivered no frame within" in err and "Traceback" not in err
    # The pictures taken before the stall were stored; nothing is left spooled.
    assert len(list(redis.Redis.from_url(server.url).scan_iter("image:*"))) == 2
    assert not list((tmp_path / "data" / "spool").glob("*.spool"))


def test_sigterm_stops_a_running_capture_promptly_with_status_0(
    embedded_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    server = embedded_redis()
    r = redis.Redis.from_url(server.url)
    process = picat_capture(server.url, tmp_path, {})
    try:
        wait_for(lambda: list(r.scan_iter("image:*")), timeout=20)
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
        took = time.monotonic() - sent
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert took < 10  # far inside the unit's TimeoutStopSec


def test_up_with_no_camera_stops_with_the_cause_and_no_traceback(
    redis_url: str, tmp_path: Path
) -> None:
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(STANDIN), os.environ.get("PYTHONPATH")])),
        "PICAMERA2_STANDIN": json.dumps({"sensor": None}),
        "REDIS_URL": redis_url,
        "PICAT_DATA_DIR": str(tmp_path / "data"),
        "PICAT_WEB_PORT": str(free_port()),
    }
    done = subprocess.run(
        [sys.executable, "-m", "picat.cli", "up", "--camera", "picamera2"],
        env=environment, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 1
    assert "no camera connected" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
