"""Helpers for tests that run the product as a user does: `picat up` in a process, and
waiting (bounded) for what it should do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def wait_for(
    condition: Callable[[], object],
    timeout: float = 10.0,
    message: str = "condition not met in time",
) -> None:
    """Poll `condition` every 50 ms until it is true; fail with `message` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.05)


def start_picat_up(
    data_dir: Path, redis_port: int, web_port: int, **settings: str
) -> subprocess.Popen[str]:
    """`picat up --camera simulated` on its own data directory and ports, small frames.

    `settings` are more environment variables (`CAPTURE_INTERVAL`, `CAMERA_ID`, ...); a
    `REDIS_URL` of the test session is removed, so it starts its own Redis. Its output
    (stderr too) is the process's stdout.
    """
    env = {
        **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        "PICAT_DATA_DIR": str(data_dir),
        "PICAT_REDIS_PORT": str(redis_port),
        "CAMERA_RESOLUTION": "320x240",
        **settings,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "picat.cli", "up", "--port", str(web_port), "--camera", "simulated"],
        env=env, cwd=data_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def run_picat(
    redis_url: str, *args: str, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """`picat <args>` in a process on `redis_url`, its output captured; `env` adds variables.

    The test's own `PICAT_ACL_*` passwords are left out: a test that wants one says so.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PICAT_ACL_")}
    return subprocess.run(
        [sys.executable, "-m", "picat.cli", *args],
        env={**clean, "REDIS_URL": redis_url, **env},
        capture_output=True, text=True, timeout=timeout,
    )


def stop(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """SIGTERM, as systemd stops a service, then all it printed; killed after `timeout` s."""
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        process.kill()
    return output
