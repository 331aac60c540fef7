"""The systemd units for this user, this venv and these paths (`picat service install`).

Why generated rather than copied from a file: a static unit has to guess the user
(Raspberry Pi OS has had no `pi` user since April 2022), the project's path and the
groups that exist. The capture unit:

- is `Type=notify` with `WatchdogSec=`: `picat capture` says READY=1 once the camera
  is open and pings while no camera call is stuck (capture/watchdog.py), so a camera
  that stops delivering frames gets the service killed and restarted even if the
  bounded waits inside did not end it;
- sets `LG_WD` to a runtime directory: lgpio creates its notification pipe in the
  working directory at import unless LG_WD names a writable one, and without lgpio
  gpiozero falls back to pin factories that do not work on a Pi 5;
- pins the camera (`CAMERA=picamera2` on a Pi), so it never stores simulated pictures;
- does not wait for time synchronisation: `systemd-time-wait-sync` waits forever when
  NTP is unreachable at boot, and the spool exists so capture can start anyway;
- restarts on failure for ever, with a growing pause where systemd has
  `RestartSteps=` (254 and later; Bookworm has 252, which gets a fixed pause).
"""

from __future__ import annotations

import grp
import math
import os
import pwd
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from picat.settings import Settings

CAPTURE_UNIT = "picat-capture.service"
WEB_UNIT = "picat-web.service"
DEVICE_GROUPS = ("video", "gpio")
"""Raspberry Pi OS gives /dev/video*, /dev/media* (camera), /dev/gpiochip* (GPIO) to these."""
RESTART_STEPS_SINCE = 254
FALLBACK_SYSTEMD = 252

Run = Callable[[Sequence[str]], int]


@dataclass(frozen=True)
class Target:
    """Where and as whom the units run."""

    system: bool
    user: str
    home: Path
    picat: Path
    working_dir: Path
    data_dir: Path
    env_file: Path
    camera: str
    camera_timeout: float
    systemd_version: int

    @property
    def unit_dir(self) -> Path:
        if self.system:
            return Path("/etc/systemd/system")
        config = os.environ.get("XDG_CONFIG_HOME") or self.home / ".config"
        return Path(config) / "systemd" / "user"


def _path(path: Path) -> str:
    """A path as a unit file value: taken literally, except `%` which starts a specifier."""
    return str(path).replace("%", "%%")


def _word(path: Path) -> str:
    """A path as one word of a command line (ExecStart= splits on spaces unless quoted)."""
    text = _path(path)
    return f'"{text}"' if re.search(r"\s", text) else text


def _env(name: str, value: Path) -> str:
    """An Environment= line; quoted as a whole when the value has spaces."""
    assignment = f"{name}={_path(value)}"
    quoted = re.search(r"\s", assignment)
    return f'Environment="{assignment}"' if quoted else f"Environment={assignment}"


def _service_common(target: Target) -> list[str]:
    lines = []
    if target.system:
        groups = [name for name in DEVICE_GROUPS if _group_exists(name)]
        lines += [f"User={target.user}"]
        if groups:
            lines += [f"SupplementaryGroups={' '.join(groups)}"]
    lines += [
        f"WorkingDirectory={_path(target.working_dir)}",
        _env("PICAT_DATA_DIR", target.data_dir),
        "Environment=PYTHONUNBUFFERED=1",
    ]
    return lines


def _settings_file(target: Target) -> list[str]:
    return [
        "# REDIS_URL, CAMERA_ID, ...; its values override the Environment= lines above.",
        f"EnvironmentFile=-{_path(target.env_file)}",
    ]


def _restart(target: Target) -> list[str]:
    lines = ["Restart=on-failure", "RestartSec=5"]
    if target.systemd_version >= RESTART_STEPS_SINCE:
        lines += ["RestartSteps=6", "RestartMaxDelaySec=300"]
    return lines


def _hardening(target: Target) -> list[str]:
    if not target.system:
        return []  # a user manager cannot apply most sandboxing without user namespaces
    return ["NoNewPrivileges=yes", "ProtectSystem=full", "PrivateTmp=yes"]


def _install(target: Target) -> list[str]:
    return ["", "[Install]", f"WantedBy={'multi-user' if target.system else 'default'}.target"]


def _network(target: Target) -> list[str]:
    # A user manager has no network-online.target; the spool covers a late network.
    return ["Wants=network-online.target", "After=network-online.target"] if target.system else []


def watchdog_sec(camera_timeout: float) -> int:
    """Long enough for the bounded waits to end a stall themselves first."""
    return max(60, math.ceil(2 * camera_timeout + 15))


def capture_unit(target: Target) -> str:
    """The capture service: Type=notify, watchdog, LG_WD, camera pinned, no time-sync wait."""
    stop_timeout = max(30, math.ceil(target.camera_timeout + 20))
    lines = [
        "# Written by `picat service install`; run it again after moving the project.",
        "[Unit]",
        "Description=Pi Catalogue capture: camera to Redis, spooling while Redis is away",
        "Documentation=https://github.com/pi-catalogue/pi-catalogue/blob/main/docs/capture.md",
        *_network(target),
        "# No time-sync wait: it never ends without NTP; pictures wait in the spool meanwhile.",
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Type=notify",
        "NotifyAccess=main",
        f"ExecStart={_word(target.picat)} capture",
        *_service_common(target),
        f"Environment=CAMERA={target.camera}",
        "# lgpio makes its notification pipe in LG_WD (else in the working directory).",
        "RuntimeDirectory=picat-capture",
        "Environment=LG_WD=%t/picat-capture",
        *_settings_file(target),
        "TimeoutStartSec=90",
        f"WatchdogSec={watchdog_sec(target.camera_timeout)}",
        "KillSignal=SIGTERM",
        f"TimeoutStopSec={stop_timeout}",
        *_restart(target),
        *_hardening(target),
        *_install(target),
    ]
    return "\n".join(lines) + "\n"


def web_unit(target: Target) -> str:
    """The gallery beside capture (same settings file), restarted on failure."""
    lines = [
        "# Written by `picat service install --web`.",
        "[Unit]",
        "Description=Pi Catalogue gallery",
        *_network(target),
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Type=exec",
        f"ExecStart={_word(target.picat)} web",
        *_service_common(target),
        *_settings_file(target),
        "TimeoutStopSec=20",
        *_restart(target),
        *_hardening(target),
        *_install(target),
    ]
    return "\n".join(lines) + "\n"


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def systemd_version(run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run) -> int:
    """The installed systemd's version (`systemctl --version`), 252 if it cannot be told."""
    try:
        done = run(["systemctl", "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return FALLBACK_SYSTEMD
    found = re.match(r"systemd (\d+)", done.stdout)
    return int(found.group(1)) if found else FALLBACK_SYSTEMD


def picat_executable() -> Path:
    """This venv's `picat`, by absolute path (the unit must not depend on PATH)."""
    beside = Path(sys.executable).parent / "picat"
    return beside if beside.exists() else Path(sys.argv[0]).resolve()


def make_target(settings: Settings, system: bool, camera: str | None) -> Target:
    """The target for the user running this (the one behind sudo for --system)."""
    from picat.capture.cameras import raspberry_pi_model
    from picat.capture.settings import load_capture_settings

    name = os.environ.get("SUDO_USER") if system and os.geteuid() == 0 else None
    account = pwd.getpwnam(name) if name else pwd.getpwuid(os.getuid())
    home = Path(account.pw_dir)
    data_dir = settings.data_dir
    if name and "PICAT_DATA_DIR" not in os.environ:
        data_dir = home / ".local" / "share" / "pi-catalogue"
    env_file = (
        Path("/etc/pi-catalogue/picat.env") if system
        else home / ".config" / "pi-catalogue" / "picat.env"
    )
    capture_settings = load_capture_settings(settings)
    chosen = camera or ("picamera2" if raspberry_pi_model() else "simulated")
    return Target(
        system=system, user=account.pw_name, home=home, picat=picat_executable(),
        working_dir=Path.cwd(), data_dir=data_dir, env_file=env_file, camera=chosen,
        camera_timeout=capture_settings.camera_timeout, systemd_version=systemd_version(),
    )


def units_for(target: Target, web: bool) -> dict[str, str]:
    units = {CAPTURE_UNIT: capture_unit(target)}
    if web:
        units[WEB_UNIT] = web_unit(target)
    return units


def _run(command: Sequence[str]) -> int:
    print("+ " + shlex.join(command))
    return subprocess.run(command).returncode


def install(target: Target, units: dict[str, str], start: bool, run: Run = _run) -> int:
    """Write the units, reload systemd, enable (and start) them; 0 when all of it worked."""
    target.unit_dir.mkdir(parents=True, exist_ok=True)
    for name, text in units.items():
        (target.unit_dir / name).write_text(text)
        print(f"wrote {target.unit_dir / name}")
    systemctl = ["systemctl"] if target.system else ["systemctl", "--user"]
    if run([*systemctl, "daemon-reload"]) != 0:
        return 1
    if run([*systemctl, "enable", *(["--now"] if start else []), *units]) != 0:
        return 1
    if not target.system and run(["loginctl", "enable-linger", target.user]) != 0:
        print(f"could not enable lingering: without it the services start at {target.user}'s "
              f"first login, not at boot; run `sudo loginctl enable-linger {target.user}`",
              file=sys.stderr)
        return 1
    journal = "journalctl" + ("" if target.system else " --user")
    print(f"settings (REDIS_URL, CAMERA_ID, ...) go in {target.env_file}; "
          f"logs: {journal} -u {CAPTURE_UNIT} -f")
    return 0
