"""`picat doctor`: check what a capture Pi needs, and say what to do about each finding.

Each check returns a `Check`: its status (ok, warn, fail), what was found, and what
to do. Checks never raise: a check that cannot look says so and how to look by hand.
The exit status is 1 when any check failed, else 0.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import redis

from picat.settings import Settings, safe_url

PAGE_4K = 4096
TIME_ERROR = 5
"""adjtimex()'s return value when the kernel clock is not synchronised (TIME_ERROR)."""


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok", "warn" or "fail"
    finding: str
    fix: str

    def render(self) -> str:
        return f"{self.status.upper():5} {self.name}: {self.finding}\n      -> {self.fix}"


def check_camera(camera_setting: str) -> Check:
    """Open the Pi camera and list its modes; off a Pi, say the simulated camera is used."""
    from picat.capture.cameras import raspberry_pi_model
    from picat.capture.picamera import CameraUnavailable, full_field_size, open_picamera2

    model = raspberry_pi_model()
    if camera_setting == "simulated" or (camera_setting == "auto" and not model):
        why = "CAMERA=simulated" if camera_setting == "simulated" else "not a Raspberry Pi"
        return Check("camera", "ok", f"{why}: capture uses the simulated camera",
                     "nothing to do here; on a Pi with CAMERA=auto this opens the camera")
    try:
        picam2 = open_picamera2()
    except CameraUnavailable as exc:
        capturing = _picat_capture_holding_camera()
        if capturing is not None:
            return Check("camera", "ok", f"in use by `picat capture` (process {capturing})",
                         "nothing to do; to look at the camera itself, stop the service "
                         "and run `picat doctor` again")
        return Check("camera", "fail", exc.cause, exc.fix)
    try:
        sensor = picam2.camera_properties.get("Model", "unknown sensor")
        modes = picam2.sensor_modes
        sizes = ", ".join(f"{m['size'][0]}x{m['size'][1]}" for m in modes if m.get("size"))
        auto = full_field_size(modes)
    finally:
        picam2.close()
    chosen = f"; CAMERA_RESOLUTION=auto takes {auto[0]}x{auto[1]}" if auto else ""
    return Check("camera", "ok", f"{sensor} on {model or 'this machine'}, modes {sizes}{chosen}",
                 "nothing to do")


def _picat_capture_holding_camera(proc: Path = Path("/proc")) -> int | None:
    """The pid of a `picat capture` that has the camera open, if one does."""
    from picat.capture.picamera import camera_holders

    for pid, _, _ in camera_holders(proc):
        try:
            words = (proc / str(pid) / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"capture" in words and any(word.endswith(b"picat") for word in words):
            return pid
    return None


def check_gpio() -> Check:
    """Which pin factory gpiozero picks here, and whether it is the one that works on a Pi."""
    from picat.capture.cameras import raspberry_pi_model

    on_pi = raspberry_pi_model() is not None
    try:
        from gpiozero import Device
    except ImportError as exc:
        return Check("gpio", "warn" if on_pi else "ok", f"gpiozero is not installed ({exc})",
                     "sudo apt install -y python3-gpiozero python3-lgpio (only the gpio "
                     "trigger needs it)")
    with warnings.catch_warnings(record=True) as fallbacks:
        warnings.simplefilter("always")
        try:
            factory = Device._default_pin_factory()
        except Exception as exc:
            if on_pi:
                return Check("gpio", "fail", f"no pin factory works ({exc})",
                             "sudo apt install -y python3-lgpio, and run where LG_WD or the "
                             "working directory is writable (the service sets LG_WD)")
            return Check("gpio", "ok", "no GPIO on this machine (not a Raspberry Pi)",
                         "nothing to do: the gpio trigger needs a Pi "
                         "(GPIOZERO_PIN_FACTORY=mock for tests)")
    name = type(factory).__name__
    factory.close()
    skipped = "; ".join(str(w.message) for w in fallbacks)
    if not on_pi or name == "LGPIOFactory":
        return Check("gpio", "ok", f"pin factory {name}" + (f" ({skipped})" if skipped else ""),
                     "nothing to do")
    return Check("gpio", "warn", f"pin factory {name}, not lgpio" +
                 (f" ({skipped})" if skipped else ""),
                 "sudo apt install -y python3-lgpio; unset GPIOZERO_PIN_FACTORY; lgpio needs a "
                 "writable LG_WD or working directory (the service sets LG_WD); other factories "
                 "do not work on a Pi 5")


def check_redis(url: str) -> list[Check]:
    """Version and search module, maxmemory and its policy, AOF."""
    where = safe_url(url)
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
    try:
        server = client.info("server")
        memory = client.info("memory")
        persistence = client.info("persistence")
        modules = client.module_list()
    except redis.AuthenticationError as exc:
        return [Check("redis", "fail", f"{where} refused the login ({exc})",
                      "check the user and password in REDIS_URL")]
    except redis.ResponseError as exc:  # an ACL user without INFO or MODULE (the capture role)
        return [Check("redis", "warn", f"{where} answers but this user may not look ({exc})",
                      "run `picat doctor` with the admin user's REDIS_URL to check the server")]
    except redis.RedisError as exc:
        return [Check("redis", "fail", f"{where} is unreachable ({exc})",
                      "start it (`picat redis`, `picat up`) or point REDIS_URL at a running "
                      "Redis 8 / Redis Stack; captures wait in the spool meanwhile")]
    finally:
        client.close()
    checks = []
    search = next((m for m in modules if m.get(b"name") == b"search"), None)
    version = server.get("redis_version", "?")
    if search is None:
        checks.append(Check("redis", "fail", f"Redis {version} at {where} has no search module",
                            "use Redis 8 (packages.redis.io, arm64 too) or Redis Stack"))
    else:
        ver = int(search[b"ver"])
        checks.append(Check(
            "redis", "ok",
            f"Redis {version} at {where}, search {ver // 10000}.{ver // 100 % 100}.{ver % 100}",
            "nothing to do"))
    limit, policy = int(memory.get("maxmemory", 0)), memory.get("maxmemory_policy", "?")
    if limit == 0:
        checks.append(Check("memory", "warn", "no maxmemory: Redis grows until the system "
                            "kills it", "set maxmemory to about half the RAM with "
                            "maxmemory-policy noeviction (the embedded server does)"))
    elif str(policy).startswith("allkeys"):
        checks.append(Check("memory", "warn", f"maxmemory {limit / 2**20:.0f} MB with "
                            f"{policy}: at the limit Redis evicts pictures at random, kept "
                            "ones included", "use maxmemory-policy noeviction"))
    else:
        checks.append(Check("memory", "ok", f"maxmemory {limit / 2**20:.0f} MB, {policy}",
                            "nothing to do"))
    if int(persistence.get("aof_enabled", 0)):
        checks.append(Check("aof", "ok", "append-only file on: WAITAOF confirms captures",
                            "nothing to do"))
    else:
        checks.append(Check("aof", "warn", "append-only file off: capture cannot confirm "
                            "pictures are on Redis's disk", "set appendonly yes"))
    return checks


def clock_state() -> int | None:
    """adjtimex()'s clock state (0 synchronised ... 5 unsynchronised), None if unknown."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return None
    timex = ctypes.create_string_buffer(512)  # struct timex, modes 0: only read
    try:
        return int(ctypes.CDLL(libc_name, use_errno=True).adjtimex(timex))
    except (OSError, AttributeError):
        return None


def check_clock() -> Check:
    state = clock_state()
    if state is None:
        return Check("clock", "warn", "cannot tell whether the clock is synchronised",
                     "check `timedatectl`; pictures carry this machine's wall-clock time")
    if state == TIME_ERROR:
        return Check("clock", "warn", "the clock is not synchronised (no NTP yet): pictures "
                     "taken now carry this machine's guess of the time",
                     "check the network and `timedatectl timesync-status`; a Pi without "
                     "a clock battery starts from its last shutdown time")
    return Check("clock", "ok", "the clock is synchronised", "nothing to do")


def check_spool(spool_dir: Path, max_bytes: int) -> Check:
    files = list(spool_dir.glob("*.spool")) if spool_dir.is_dir() else []
    size = sum(f.stat().st_size for f in files)
    existing = next(p for p in (spool_dir, *spool_dir.parents) if p.exists())
    free = shutil.disk_usage(existing).free
    found = (f"{len(files)} pictures ({size / 2**20:.1f} MB) wait in {spool_dir}; "
             f"{free / 2**30:.1f} GB free on its disk")
    if free < max_bytes - size:
        return Check("spool", "warn", found, f"free disk space: the spool may grow to "
                     f"SPOOL_MAX_MB ({max_bytes / 2**20:.0f} MB)")
    if files:
        return Check("spool", "warn", found, "they go to Redis once it takes writes; the "
                     "capture log says why it does not")
    return Check("spool", "ok", found, "nothing to do")


def page_size() -> int:
    return os.sysconf("SC_PAGE_SIZE")


def check_page_size(uses_local_redis: bool) -> Check:
    """A Pi 5 kernel's 16 KB pages against the Redis binary's jemalloc."""
    from picat.embedded import EmbeddedRedisError, find_binaries

    size = page_size()
    if not uses_local_redis:
        return Check("pages", "ok", f"page size {size // 1024} KB; Redis runs elsewhere "
                     "(REDIS_URL)", "nothing to do")
    try:
        server = find_binaries().server
    except EmbeddedRedisError as exc:
        return Check("pages", "fail", f"page size {size // 1024} KB; no local Redis: {exc}",
                     "install one (docs/capture.md, Redis on the Pi) or set REDIS_URL")
    try:
        done = subprocess.run([str(server), "--version"], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        return Check("pages", "fail", f"{server} does not run ({exc})",
                     "reinstall it or set PICAT_REDIS_SERVER")
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0 or "page size" in output.lower():
        return Check("pages", "fail", f"page size {size // 1024} KB and {server} does not "
                     f"start: {output[:200]}",
                     "boot the 4 KB kernel (kernel=kernel8.img in /boot/firmware/config.txt) "
                     "or use a Redis built with MALLOC=libc or jemalloc --with-lg-page=16")
    return Check("pages", "ok", f"page size {size // 1024} KB; {server} runs "
                 f"({output.split(' malloc=')[-1].split()[0] if 'malloc=' in output else ''})",
                 "nothing to do")


def run_checks(settings: Settings) -> list[Check]:
    from picat.capture.settings import load_capture_settings

    capture_settings = load_capture_settings(settings)
    return [
        check_camera(capture_settings.camera),
        check_gpio(),
        *check_redis(settings.effective_redis_url),
        check_clock(),
        check_spool(capture_settings.spool_dir, capture_settings.spool_max_bytes),
        check_page_size(uses_local_redis=not os.environ.get("REDIS_URL")),
    ]


def _cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    checks = run_checks(settings)
    for check in checks:
        print(check.render())
    counts = {status: sum(c.status == status for c in checks) for status in ("ok", "warn", "fail")}
    print(f"{counts['ok']} ok, {counts['warn']} to look at, {counts['fail']} to fix")
    return 1 if counts["fail"] else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `picat doctor` to `picat`."""
    sub.add_parser(
        "doctor", help="check camera, GPIO, Redis, clock, spool and page size; say what to do"
    ).set_defaults(func=_cmd_doctor)
