"""Measure gallery paging at catalogue scale: `python bench/paging.py [--n 1000000]`.

Starts a Redis with RediSearch of its own (picat.embedded, a free port, a temporary
directory unless --dir is given), loads N picture hashes with tiny thumbnails under
a private prefix, then times `picat.schema.query.search` for the views the gallery
shows, next to the naive offset query, and prints p50/p95 as a Markdown table.

The data imitate a small fleet: several cameras over months, one picture a minute
each with jitter, lux following day and night (integers, 0 at night, as the seed
writes them), and bursts of up to 100 pictures sharing one timestamp. Times are
wall-clock on the client, so they include the round trip and reply parsing: an
upper bound of the server time.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import redis

from picat.embedded import EmbeddedRedis
from picat.schema import Catalogue, Image, connect, index, new_image_id
from picat.schema.clock import local_time_fields
from picat.schema.query import Filters, Page, QueryTimeout, Sort, keyset, parse_filters, search
from picat.schema.store import load_many

CATALOGUE = Catalogue(prefix="bench:image:", index="bench:idx:images")
SECRET = b"bench"
ZONE = ZoneInfo("Europe/London")
CAMERAS = ("garden", "feeder", "greenhouse", "door")
BATCH = 5000
STOPPED = 30 * 86400


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def day_lux(timestamp: float, rng: random.Random) -> float:
    """0 at night, up to ~20,000 at noon; integers, like the seed project's light meter."""
    hours = (timestamp % 86400) / 3600
    sun = math.sin(math.pi * (hours - 6) / 12)
    return float(round(max(0.0, sun) ** 1.5 * 20_000 * rng.uniform(0.5, 1.0)))


def pictures(n: int, seed: int) -> list[tuple[str, dict[str, str]]]:
    """N (id, fields) pairs back from now: a live fleet, bursts sharing a timestamp.

    One camera (`door`) stopped 30 days ago, so its view shows what paging pays when
    the newest picture is far from the current time.
    """
    rng = random.Random(seed)
    per_camera_gap = 60.0
    now = time.time()
    rows: list[tuple[str, dict[str, str]]] = []
    t = now
    while len(rows) < n:
        t -= per_camera_gap / len(CAMERAS) * rng.uniform(0.5, 1.5)
        burst = rng.randint(20, 100) if rng.random() < 0.002 else 1
        stamp = round(t, 3)
        camera = rng.choice(CAMERAS if t < now - STOPPED else CAMERAS[:-1])
        lux = day_lux(stamp, rng)
        tod, offset = local_time_fields(stamp, ZONE)
        for _ in range(min(burst, n - len(rows))):
            image = Image(
                pk=new_image_id(stamp), timestamp=stamp, lux=lux, camera=camera,
                trigger="motion" if burst > 1 else "interval", width=1920, height=1080,
                time_of_day=tod, utc_offset=offset,
            )
            rows.append((image.pk, image.to_fields()))
    return rows


def load(r: redis.Redis, n: int, seed: int) -> float:
    """Write N hashes in pipelines; returns the seconds it took, indexing included."""
    began = time.perf_counter()
    thumbnail = b"\xff\xd8" + bytes(62)
    rows = pictures(n, seed)[::-1]  # oldest first, as a live catalogue is written
    for start in range(0, n, BATCH):
        with r.pipeline(transaction=False) as pipe:
            for image_id, fields in rows[start : start + BATCH]:
                pipe.hset(
                    CATALOGUE.key(image_id),
                    mapping={**fields, "image_data": thumbnail, "thumbnail": thumbnail},
                )
            pipe.execute()
        print(f"\rloaded {min(start + BATCH, n):,}/{n:,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return time.perf_counter() - began


def indexed(r: redis.Redis) -> int:
    return int(r.execute_command("FT.SEARCH", CATALOGUE.index, "*", "LIMIT", "0", "0")[0])


def timed(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """(p50, p95) in milliseconds over `runs` calls, after one warm-up call."""
    action()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, math.ceil(0.95 * runs) - 1)]


def cursor_at(r: redis.Redis, filters: Filters, sort: Sort, page: int) -> tuple[str, float]:
    """The cursor that opens page `page` (1-based), and the seconds walking there took."""
    began = time.perf_counter()
    cursor = None
    for _ in range(page - 1):
        found = search(r, filters, sort, 24, cursor, secret=SECRET, catalogue=CATALOGUE)
        cursor = found.next_cursor
        if cursor is None:
            raise SystemExit(f"the view ended before page {page}")
    return cursor or "", time.perf_counter() - began


def measure(r: redis.Redis, runs: int) -> list[tuple[str, float, float, str]]:
    rows: list[tuple[str, float, float, str]] = []

    def page(
        label: str, filters: Filters, sort: Sort, cursor: str | None = None,
        forget: bool = False,
    ) -> None:
        """Time one view; `forget` clears where views start, as after a restart."""

        def call() -> Page:
            if forget:
                keyset._STARTS.clear()
            return search(r, filters, sort, 24, cursor, secret=SECRET, catalogue=CATALOGUE)

        try:
            first = call()
            p50, p95 = timed(call, runs)
        except QueryTimeout:
            rows.append((label, math.nan, math.nan, "QueryTimeout (server TIMEOUT 500 ms)"))
            return
        rows.append((label, p50, p95, f"{len(first.commands)} queries"))

    def raw(label: str, argv: list[str], repeat: int) -> None:
        p50, p95 = timed(lambda: r.execute_command(*argv), repeat)
        rows.append((label, p50, p95, f"1 {argv[0]}"))

    none = Filters()
    page("newest, first page", none, Sort.NEWEST)
    cursor, walk = cursor_at(r, none, Sort.NEWEST, 1000)
    page("newest, page 1,000 (cursor)", none, Sort.NEWEST, cursor)
    print(f"walking to page 1,000 took {walk:.1f} s ({walk * 1000 / 999:.1f} ms per page)",
          file=sys.stderr)
    page("oldest, first page", none, Sort.OLDEST)
    page("oldest, first page, start not remembered", none, Sort.OLDEST, forget=True)
    page("brightest, first page", none, Sort.BRIGHTEST)
    page("brightest, first page, start not remembered", none, Sort.BRIGHTEST, forget=True)
    page("darkest, first page", none, Sort.DARKEST)
    cursor, _ = cursor_at(r, none, Sort.DARKEST, 100)
    page("darkest, page 100 (lux 0 tie group)", none, Sort.DARKEST, cursor)
    utc = UTC
    page("newest, lux >= 5000", parse_filters({"lux_min": "5000"}, utc), Sort.NEWEST)
    yesterday = time.time() - 86400
    day = {"from": str(yesterday - 86400), "to": str(yesterday)}
    page("newest, one day", parse_filters(day, utc), Sort.NEWEST)
    page("newest, 06:00-08:00 every day",
         parse_filters({"tod_from": "06:00", "tod_to": "08:00"}, utc), Sort.NEWEST)
    page("newest, 22:00-02:00 every day",
         parse_filters({"tod_from": "22:00", "tod_to": "02:00"}, utc), Sort.NEWEST)
    page("newest, one camera", parse_filters({"camera": "feeder"}, utc), Sort.NEWEST)
    page("newest, camera stopped 30 days ago", parse_filters({"camera": "door"}, utc),
         Sort.NEWEST)

    first = search(r, none, Sort.NEWEST, 24, None, secret=SECRET, catalogue=CATALOGUE)
    slab = next(argv for argv in first.commands if "SORTBY" in argv)
    fields = list(Image.METADATA_FIELDS)
    returning = [*slab[:3], "RETURN", str(len(fields)), *fields, *slab[4:]]
    ids = [image.pk for image in first.images]

    def ids_then_hmget() -> None:
        r.execute_command(*slab)
        load_many(r, ids, CATALOGUE)

    p50, p95 = timed(ids_then_hmget, runs)
    rows.append(("first page slab: NOCONTENT + HMGET pipeline (used)", p50, p95, "2 round trips"))
    raw("first page slab: RETURN 15 fields (rounds numbers)", returning, runs)

    naive = ["FT.SEARCH", CATALOGUE.index, "*", "NOCONTENT", "SORTBY", "timestamp", "DESC"]
    patient = ["TIMEOUT", "60000"]
    raw("naive `*` SORTBY timestamp DESC LIMIT 0 24", [*naive, "LIMIT", "0", "24", *patient], 10)
    raw("naive ... LIMIT 23976 24 (page 1,000)", [*naive, "LIMIT", "23976", "24", *patient], 10)
    raw("count: `*` LIMIT 0 0", ["FT.SEARCH", CATALOGUE.index, "*", "LIMIT", "0", "0"], 10)
    aggregate = ["FT.AGGREGATE", CATALOGUE.index, "*", "GROUPBY", "0"]
    raw("start of oldest: FT.AGGREGATE MIN timestamp",
        [*aggregate, "REDUCE", "MIN", "1", "@timestamp", "AS", "value"], 10)
    return rows


def machine() -> str:
    """CPU model and count, for the table's caption."""
    model = platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="hashes to load")
    parser.add_argument("--runs", type=int, default=30, help="timed calls per row")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data")
    parser.add_argument(
        "--dir", type=Path,
        help="data directory to keep (reused when it already holds N pictures)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = args.dir or Path(scratch)
        server = EmbeddedRedis(free_port(), data_dir, str(data_dir / "redis.log"))
        server.start(ready_timeout=900)  # reloading a kept --dir takes a while
        try:
            r = connect(server.url, socket_timeout=600)
            index.apply(r, CATALOGUE)
            if indexed(r) != args.n:
                if indexed(r):
                    raise SystemExit(f"{data_dir} holds another catalogue size: use a new --dir")
                took = load(r, args.n, args.seed)
                print(f"loaded and indexed {args.n:,} hashes in {took:.0f} s", file=sys.stderr)
            memory = r.info("memory")["used_memory_human"]
            rows = measure(r, args.runs)
        finally:
            server.stop()
    print(f"\n{args.n:,} hashes, Redis used_memory {memory}; {machine()}, "
          f"Python {platform.python_version()}\n")
    print("| view | p50 ms | p95 ms | queries |\n|---|---:|---:|---|")
    for label, p50, p95, note in rows:
        print(f"| {label} | {p50:.1f} | {p95:.1f} | {note} |")


if __name__ == "__main__":
    main()
