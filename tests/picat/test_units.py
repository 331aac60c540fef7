"""`picat service`: the generated systemd units pass `systemd-analyze verify` and install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from picat.cli import main
from picat.units import (
    CAPTURE_UNIT,
    WEB_UNIT,
    Target,
    capture_unit,
    install,
    units_for,
    web_unit,
)

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="needs systemd-analyze (Debian's systemd package; scripts/test installs it)",
)


def target(tmp_path: Path, system: bool, version: int = 252) -> Target:
    project = tmp_path / "pi catalogue"  # a space on purpose: paths must stay one word
    picat = project / ".venv" / "bin" / "picat"
    picat.parent.mkdir(parents=True)
    picat.write_text("#!/bin/sh\n")
    picat.chmod(0o755)
    return Target(
        system=system, user="root", home=tmp_path / "home", picat=picat, working_dir=project,
        data_dir=tmp_path / "data", env_file=tmp_path / "picat.env", camera="picamera2",
        camera_timeout=10.0, systemd_version=version,
    )


def verify(unit_dir: Path, names: Sequence[str], user: bool, tmp_path: Path) -> str:
    """`systemd-analyze verify`; returns what it printed (warnings included)."""
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)}
    done = subprocess.run(
        ["systemd-analyze", *(["--user"] if user else []), "verify",
         *(str(unit_dir / name) for name in names)],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


@pytest.mark.parametrize("system", [True, False], ids=["system", "user"])
def test_generated_units_pass_systemd_analyze_verify(tmp_path: Path, system: bool) -> None:
    chosen = target(tmp_path, system)
    units = units_for(chosen, web=True)
    unit_dir = tmp_path / "units"
    unit_dir.mkdir()
    for name, text in units.items():
        (unit_dir / name).write_text(text)
    assert verify(unit_dir, list(units), not system, tmp_path) == ""


def test_capture_unit_has_what_a_pi_needs(tmp_path: Path) -> None:
    text = capture_unit(target(tmp_path, system=True))
    lines = text.splitlines()
    for line in (
        "Type=notify", "WatchdogSec=60", "Restart=on-failure", "StartLimitIntervalSec=0",
        "Environment=LG_WD=%t/picat-capture", "RuntimeDirectory=picat-capture",
        "Environment=CAMERA=picamera2", "User=root", "KillSignal=SIGTERM", "TimeoutStopSec=30",
    ):
        assert line in lines, line
    assert "time-sync" not in "\n".join(line for line in lines if not line.startswith("#"))
    assert f'ExecStart="{tmp_path}/pi catalogue/.venv/bin/picat" capture' in lines
    assert "RestartSteps" not in text  # systemd 252 (Bookworm) does not know it
    newer = capture_unit(target(tmp_path / "new", system=True, version=257))
    assert "RestartSteps=6" in newer and "RestartMaxDelaySec=300" in newer


def test_stop_timeout_and_watchdog_leave_room_for_the_camera_timeout(tmp_path: Path) -> None:
    slow = replace(target(tmp_path, system=False), camera_timeout=40.0)
    lines = capture_unit(slow).splitlines()
    assert "WatchdogSec=95" in lines and "TimeoutStopSec=60" in lines
    assert "User=root" not in lines  # a user unit runs as its user


def test_install_writes_enables_starts_and_lingers(tmp_path: Path) -> None:
    chosen = replace(target(tmp_path, system=False), home=tmp_path / "home")
    ran: list[list[str]] = []

    def run(command: Sequence[str]) -> int:
        ran.append(list(command))
        return 0

    os.environ.pop("XDG_CONFIG_HOME", None)
    units = {CAPTURE_UNIT: capture_unit(chosen), WEB_UNIT: web_unit(chosen)}
    assert install(chosen, units, start=True, run=run) == 0
    unit_dir = tmp_path / "home" / ".config" / "systemd" / "user"
    assert (unit_dir / CAPTURE_UNIT).read_text() == units[CAPTURE_UNIT]
    assert ran == [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "--now", CAPTURE_UNIT, WEB_UNIT],
        ["loginctl", "enable-linger", "root"],
    ]
    verify(unit_dir, list(units), True, tmp_path)


def test_show_prints_the_units(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["service", "show", "--camera", "picamera2"]) == 0
    out = capsys.readouterr().out
    assert "[Service]" in out
    assert f"ExecStart={Path(sys.executable).parent / 'picat'} capture" in out
