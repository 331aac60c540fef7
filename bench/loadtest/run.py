"""Load test: N pictures, C concurrent clients for S seconds against `picat web`'s server.

    python -m bench.loadtest.run                      # 100,000 pictures, 32 clients, 60 s
    python -m bench.loadtest.run --pictures 500 --clients 4 --seconds 3    # a smoke run

Starts a private embedded Redis in a temporary directory (never a user's data),
writes the pictures with `bench.dataset` (the benchmark's synthetic fleet, tiny real
JPEG thumbnails), serves the gallery with waitress in a separate process with a
password and an API token, and drives it with `bench.loadtest.clients`. Prints requests
per second, p50 and p99 per kind of request, and the errors; `--json` saves them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from picat.embedded import EmbeddedRedis, free_port
from picat.schema import Catalogue, connect, index

from ..dataset import TINY_EDGE, load, pictures, thumbnail_pool
from ..machine import cpu_model, source
from ..timing import percentile
from .clients import MIX, Results, hammer

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = Catalogue(prefix="loadtest:image:", index="loadtest:idx:images")


def _wait_indexed(r: Any, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = index.index_info(r, CATALOGUE.index) or {}
        if str(info.get("indexing", b"0")) in ("0", "b'0'") and float(
            info.get("percent_indexed", 0) or 0
        ) >= 1:
            return
        time.sleep(0.5)
    raise TimeoutError("the index did not finish")


def _wait_listening(port: int, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the gallery exited with status {server.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError("the gallery did not start listening")


def summarise(results: Results, seconds: float) -> dict[str, Any]:
    kinds: dict[str, Any] = {}
    everything: list[float] = []
    for kind in (*MIX, "total"):
        times = everything if kind == "total" else results.latencies.get(kind, [])
        errors = sum(results.errors.values()) if kind == "total" else results.errors.get(kind, 0)
        kinds[kind] = {
            "requests": len(times), "per_second": round(len(times) / seconds, 1),
            "p50_ms": round(percentile(times, 0.50) * 1000, 1) if times else 0.0,
            "p99_ms": round(percentile(times, 0.99) * 1000, 1) if times else 0.0,
            "mean_ms": round(statistics.fmean(times) * 1000, 1) if times else 0.0,
            "errors": errors,
        }
        if kind != "total":
            everything.extend(times)
    return kinds


def table(kinds: dict[str, Any]) -> str:
    lines = [
        "| Request | Requests | Req/s | p50 ms | p99 ms | Errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, row in kinds.items():
        lines.append(
            f"| {kind} | {row['requests']:,} | {row['per_second']} | {row['p50_ms']} | "
            f"{row['p99_ms']} | {row['errors']} |"
        )
    return "\n".join(lines)


def redis_commands(r: Any) -> dict[str, Any]:
    """Calls and server time per command during the run: where Redis spent its one core."""
    stats = r.info("commandstats")
    busiest = sorted(stats.items(), key=lambda item: -item[1]["usec"])[:6]
    return {
        name.removeprefix("cmdstat_"): {
            "calls": row["calls"], "usec_per_call": round(row["usec_per_call"], 1),
            "seconds": round(row["usec"] / 1e6, 1),
        }
        for name, row in busiest
    }


def machine() -> dict[str, Any]:
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.loadtest.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--pictures", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    code = source()  # the code this process imported: the commit and any uncommitted files

    with tempfile.TemporaryDirectory(prefix="picat-loadtest-") as tmp:
        redis_server = EmbeddedRedis(free_port(), Path(tmp) / "redis", str(Path(tmp) / "redis.log"))
        with redis_server:
            r = connect(redis_server.url)
            index.apply(r, CATALOGUE)
            began = time.perf_counter()
            pool = thumbnail_pool(TINY_EDGE, args.seed)
            report = load(r, pictures(args.pictures, args.seed, time.time() - 60, pool), CATALOGUE)
            _wait_indexed(r)
            print(f"loaded and indexed {report.pictures:,} pictures in "
                  f"{time.perf_counter() - began:.1f} s", flush=True)

            port, token = free_port(), secrets.token_urlsafe(32)
            env = {
                **os.environ, "LOADTEST_REDIS_URL": redis_server.url, "LOADTEST_PORT": str(port),
                "LOADTEST_PREFIX": CATALOGUE.prefix, "LOADTEST_INDEX": CATALOGUE.index,
                "LOADTEST_TOKEN": token, "LOADTEST_PASSWORD": secrets.token_urlsafe(16),
                "LOADTEST_SECRET": secrets.token_hex(32),
            }
            # A file, not a pipe: waitress logs a line per queued request under load,
            # and a pipe nobody reads would fill up and stall the server.
            server_log = Path(tmp) / "gallery.log"
            with open(server_log, "wb") as log:
                gallery = subprocess.Popen(
                    [sys.executable, "-m", "bench.loadtest.serve"], cwd=ROOT, env=env,
                    stdout=log, stderr=subprocess.STDOUT,
                )
            try:
                _wait_listening(port, gallery)
                results = hammer(port, token, args.clients, args.seconds, args.seed)
                redis_time = redis_commands(r)
            finally:
                gallery.terminate()
                gallery.wait(timeout=30)
                problems = [
                    line for line in server_log.read_text(errors="replace").splitlines()
                    if "Task queue depth" not in line
                ]
    kinds = summarise(results, args.seconds)
    print(table(kinds))
    print("Redis time:", json.dumps(redis_time))
    for sample in results.error_samples:
        print("error:", sample)
    figures = {
        "pictures": report.pictures, "clients": args.clients, "seconds": args.seconds,
        "machine": machine(), "source": code, "kinds": kinds, "redis": redis_time,
        "errors": results.error_samples,
    }
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if kinds["total"]["errors"]:
        print("\n".join(problems[-40:]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
