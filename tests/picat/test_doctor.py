"""`picat doctor` here (x86_64, no camera) and on a described Pi (stand-ins for the hardware)."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from picat import doctor_command as doctor
from picat.capture import cameras
from picat.cli import main
from picat.embedded import EmbeddedRedis
from picat.settings import load_settings

STANDIN = Path(__file__).parents[1] / "capture" / "standin"


def by_name(checks: list[doctor.Check]) -> dict[str, doctor.Check]:
    return {check.name: check for check in checks}


@pytest.fixture
def off_a_pi(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(cameras, "DEVICE_TREE_MODEL", tmp_path / "no-device-tree")
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    monkeypatch.delenv("CAMERA", raising=False)
    monkeypatch.setenv("PICAT_DATA_DIR", str(tmp_path / "data"))


def test_doctor_here_checks_everything_and_says_what_to_do(
    off_a_pi: None, monkeypatch: pytest.MonkeyPatch, redis_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    checks = doctor.run_checks(load_settings())
    found = by_name(checks)
    assert list(found) == ["camera", "gpio", "redis", "memory", "aof", "clock", "spool", "pages"]
    assert all(check.fix and check.finding for check in checks)
    assert found["camera"].status == "ok" and "simulated" in found["camera"].finding
    assert found["redis"].status == "ok" and "search 2." in found["redis"].finding
    assert found["aof"].status == "ok"
    assert found["spool"].finding.startswith("0 pictures")
    assert main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.lstrip().startswith("-> ") for line in lines) == len(checks)


def test_doctor_warns_about_eviction_and_no_aof(
    off_a_pi: None, monkeypatch: pytest.MonkeyPatch, embedded_redis: Callable[..., EmbeddedRedis]
) -> None:
    server = embedded_redis()
    r = redis.Redis.from_url(server.url)
    r.config_set("appendonly", "no")
    r.config_set("maxmemory-policy", "allkeys-lru")
    found = by_name(doctor.check_redis(server.url))
    assert found["aof"].status == "warn" and "appendonly yes" in found["aof"].fix
    assert found["memory"].status == "warn" and "noeviction" in found["memory"].fix


def test_doctor_on_a_pi_5_with_a_camera_module_3_and_16k_pages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Raspberry Pi 5, Camera Module 3, gpiozero forced to the mock factory, the 16 KB kernel
    and a redis-server whose jemalloc was built for 4 KB pages."""
    model = tmp_path / "model"
    model.write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\0")
    monkeypatch.setattr(cameras, "DEVICE_TREE_MODEL", model)
    monkeypatch.syspath_prepend(str(STANDIN))
    monkeypatch.setenv("PICAMERA2_STANDIN", json.dumps({"sensor": "imx708"}))
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    importlib.invalidate_caches()
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    monkeypatch.setattr(doctor, "page_size", lambda: 16384)
    jemalloc_4k = tmp_path / "redis-server"
    jemalloc_4k.write_text("#!/bin/sh\necho '<jemalloc>: Unsupported system page size' >&2\n"
                           "exit 1\n")
    jemalloc_4k.chmod(0o755)
    monkeypatch.setenv("PICAT_REDIS_SERVER", str(jemalloc_4k))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("CAMERA", raising=False)
    monkeypatch.setenv("PICAT_REDIS_PORT", "1")  # nothing answers: Redis could not start
    monkeypatch.setenv("PICAT_DATA_DIR", str(tmp_path / "data"))

    found = by_name(doctor.run_checks(load_settings()))
    assert found["camera"].status == "ok"
    assert "imx708" in found["camera"].finding and "takes 2304x1296" in found["camera"].finding
    assert found["gpio"].status == "warn" and "MockFactory" in found["gpio"].finding
    assert "python3-lgpio" in found["gpio"].fix
    assert found["pages"].status == "fail" and "16 KB" in found["pages"].finding
    assert "kernel8.img" in found["pages"].fix
    assert found["redis"].status == "fail" and "picat redis" in found["redis"].fix
    sys.modules.pop("picamera2", None)
    assert main(["doctor"]) == 1
    assert "to fix" in capsys.readouterr().out
    sys.modules.pop("picamera2", None)


def test_a_camera_held_by_picat_capture_is_fine(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    for pid, cmdline in ((311, b"/home/me/.venv/bin/python3\0/home/me/.venv/bin/picat\0capture\0"),
                         (312, b"rpicam-hello\0")):
        (proc / str(pid) / "fd").mkdir(parents=True)
        (proc / str(pid) / "comm").write_text(cmdline.split(b"\0")[0].decode()[-15:])
        (proc / str(pid) / "cmdline").write_bytes(cmdline)
        (proc / str(pid) / "fd" / "9").symlink_to("/dev/media0")
    assert doctor._picat_capture_holding_camera(proc) == 311
    (proc / "311" / "fd" / "9").unlink()
    assert doctor._picat_capture_holding_camera(proc) is None
