"""sd_notify and the watchdog: what a `Type=notify` unit with `WatchdogSec=` receives."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from picat.capture.frame import Frame
from picat.capture.watchdog import WatchedCamera, keep_alive
from picat.embedded import free_port
from picat.sdnotify import notify, watchdog_seconds


@pytest.fixture
def systemd_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """The datagram socket systemd would listen on, named in NOTIFY_SOCKET."""
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(10)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        yield sock


def messages(sock: socket.socket, until: str, limit: float = 20) -> list[str]:
    received: list[str] = []
    deadline = time.monotonic() + limit
    while until not in received and time.monotonic() < deadline:
        received += sock.recv(4096).decode().splitlines()
    return received


def test_notify_is_silent_outside_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    assert notify("READY=1") is False
    assert watchdog_seconds() is None


def test_abstract_socket_and_watchdog_for_this_pid_only(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"picat-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert notify("READY=1", "STATUS=hello")
        assert sock.recv(100) == b"READY=1\nSTATUS=hello"
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert watchdog_seconds() == 30.0
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert watchdog_seconds() is None


class StuckCamera:
    """A camera whose capture blocks until released, like picamera2 without a timeout."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def capture(self) -> Frame:
        self.release.wait(10)
        return Frame(b"", b"", 1, 1, time.time())

    def preview(self) -> np.ndarray:
        return np.zeros((2, 2), np.uint8)

    def close(self) -> None:
        self.release.set()


def test_pings_stop_while_a_camera_call_is_stuck(systemd_socket: socket.socket) -> None:
    camera = WatchedCamera(StuckCamera())
    stop = threading.Event()
    keep_alive(camera, 0.3, stop)
    try:
        assert systemd_socket.recv(100) == b"WATCHDOG=1"  # idle: waiting is not a stall
        stuck = threading.Thread(target=camera.capture)
        stuck.start()
        time.sleep(0.5)
        systemd_socket.settimeout(0.6)
        while True:  # drain what was sent before the call had lasted a period
            try:
                systemd_socket.recv(100)
            except TimeoutError:
                break
        assert camera.stuck_for() > 0.3
        camera.close()
        stuck.join(5)
        systemd_socket.settimeout(5)
        assert systemd_socket.recv(100) == b"WATCHDOG=1"  # pings resume
    finally:
        stop.set()


def test_capture_under_systemd_reports_ready_pings_and_stopping(
    systemd_socket: socket.socket, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "WATCHDOG_USEC": "600000",
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # away: pictures wait in the spool
        "PICAT_DATA_DIR": str(tmp_path / "data"),
        "CAMERA_RESOLUTION": "160x120",
        "CAPTURE_INTERVAL": "0.2",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "picat.cli", "capture", "--camera", "simulated"],
        env=env, stderr=subprocess.PIPE, text=True,
    )
    try:
        received = messages(systemd_socket, "READY=1")
        received += messages(systemd_socket, "WATCHDOG=1")
        received += messages(systemd_socket, "WATCHDOG=1")
        process.send_signal(signal.SIGTERM)
        received += messages(systemd_socket, "STOPPING=1")
        assert process.wait(20) == 0
    finally:
        process.kill()
    assert received.index("READY=1") < received.index("WATCHDOG=1")
    assert received.count("WATCHDOG=1") >= 2 and "STOPPING=1" in received
