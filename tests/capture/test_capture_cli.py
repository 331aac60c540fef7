"""`picat capture` as users run it, `run_capture` as `picat up` runs it, and bad settings."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from picat.capture.service import run_capture
from picat.capture.settings import load_capture_settings
from picat.capture.triggers import IntervalTrigger
from picat.cli import main
from picat.embedded import EmbeddedRedis, free_port
from picat.schema import Catalogue
from picat.settings import Settings, load_settings

from ..running import wait_for
from .helpers import keys_of


def capture_once(tmp_path: Path, redis_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "PICAT_DATA_DIR": str(tmp_path / "data"),
        "CAMERA_RESOLUTION": "160x120",
        "CAMERA_ID": "once-cam",
    }
    return subprocess.run(
        [sys.executable, "-m", "picat.cli", "capture", "--once", "--camera", "simulated"],
        env=env, capture_output=True, text=True, timeout=60,
    )


def test_once_stores_one_manual_picture(
    embedded_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    server = embedded_redis()
    done = capture_once(tmp_path, server.url)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("stored image:") == 1
    r = redis.Redis.from_url(server.url)
    (key,) = r.scan_iter("image:*")
    assert r.hmget(key, "trigger", "camera") == [b"manual", b"once-cam"]
    assert [p.name for p in (tmp_path / "data" / "spool").iterdir()] == [".lock"]


def test_once_without_redis_keeps_the_picture_and_says_so(tmp_path: Path) -> None:
    done = capture_once(tmp_path, f"redis://127.0.0.1:{free_port()}/0")
    assert done.returncode == 1
    assert "the next `picat capture` stores it" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(list((tmp_path / "data" / "spool").glob("*.spool"))) == 1


def test_picamera2_missing_is_reported_without_a_trace(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["capture", "--once", "--camera", "picamera2"]) == 2
    assert "python3-picamera2" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CAMERA_RESOLUTION", "huge", "CAMERA_RESOLUTION must be auto or WIDTHxHEIGHT"),
        ("SPOOL_MAX_MB", "-3", "SPOOL_MAX_MB must be a number of megabytes"),
        ("GPIO_EDGE", "sideways", "GPIO_EDGE must be rising, falling or both"),
        ("CAMERA", "webcam", "CAMERA must be one of auto, picamera2, simulated"),
        ("CAPTURE_INTERVAL", "nan", "CAPTURE_INTERVAL must be a number of seconds more than 0"),
        ("CAPTURE_INTERVAL", "inf", "CAPTURE_INTERVAL must be a number of seconds more than 0"),
        ("CAPTURE_INTERVAL", "0", "CAPTURE_INTERVAL must be a number of seconds more than 0"),
        ("CAPTURE_INTERVAL", "abc", "CAPTURE_INTERVAL must be a number of seconds more than 0"),
        ("IMAGE_TTL", "-1", "IMAGE_TTL must be 0 \\(keep forever\\) or a whole number"),
        ("GPIO_DEBOUNCE", "nan", "GPIO_DEBOUNCE must be seconds between 0 and 60"),
        ("CAMERA_ID", "no spaces", "CAMERA_ID must be 1-64 letters"),
    ],
)
def test_bad_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match=message):
        load_capture_settings(load_settings())


def test_run_capture_until_stopped(
    redis_url: str, r: redis.Redis, catalogue: Catalogue, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAMERA_RESOLUTION", "160x120")
    monkeypatch.setenv("IMAGE_TTL", "600")
    monkeypatch.setenv("CAMERA_ID", "up-cam")
    monkeypatch.setenv("CAPTURE_INTERVAL", "0.2")
    settings = Settings(redis_url=redis_url, data_dir=tmp_path, redis_port=0)
    config = load_capture_settings(settings)
    stop = threading.Event()
    running = threading.Thread(
        target=run_capture, args=(settings, config, stop, "simulated", catalogue)
    )
    running.start()
    try:
        wait_for(lambda: len(keys_of(r, catalogue)) >= 2)
    finally:
        stop.set()
        running.join(15)
    assert not running.is_alive()
    keys = keys_of(r, catalogue)
    assert {r.hget(key, "trigger") for key in keys} == {b"interval"}
    assert list((tmp_path / "spool").glob("*.spool")) == []


def test_a_bad_capture_variable_does_not_stop_other_commands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CAPTURE_INTERVAL", "abc")
    monkeypatch.setenv("IMAGE_TTL", "-5")
    assert main(["schema", "show"]) == 0
    assert "FT.CREATE" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["70000", "0", "-1", "http"])
def test_a_redis_port_out_of_range_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PICAT_REDIS_PORT", value)
    with pytest.raises(SystemExit, match="PICAT_REDIS_PORT must be a TCP port number 1-65535"):
        load_settings()


def test_import_never_prints_the_redis_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://picat-web:s3cret-pw@127.0.0.1:{free_port()}/0")
    assert main(["import", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot reach Redis at redis://picat-web:***@127.0.0.1:" in err
    assert "s3cret-pw" not in err


@pytest.mark.parametrize("interval", [float("nan"), float("inf"), 0.0])
def test_the_interval_trigger_refuses_what_would_spin_or_overflow(interval: float) -> None:
    with pytest.raises(ValueError, match="finite number of seconds above 0"):
        IntervalTrigger(interval)
