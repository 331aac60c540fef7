"""Throughput of `picat import` on full-size JPEGs, and where its time goes.

Imports into private servers with the append-only file on, as `picat redis` runs
it, since the importer confirms with WAITAOF: the `picat import` command end to
end (`python -m picat.cli import`, interpreter start-up included, first into a
fresh server); then, on the same server, the importer in-process
(`import_files`), for the steady rate, with its decoding workers (one per core)
and again on one core; and the importer in-process on one core under cProfile
(workers run outside the profiler), whose cumulative times
split the work into decoding (open, decode, thumbnail, lux estimate), writing to
Redis (one MULTI/EXEC per batch, on the importer's writer thread, which cProfile
does not follow: what counts is the time the importing thread waits for it),
waiting for the closing WAITAOF (up to a second with `appendfsync everysec`), the
duplicate check (a count per file, 8 files per round trip) and the rest (reading,
hashing).
Profiling slows the Python parts a little; only its shares are reported. Beside
them, the cost of decoding one file fully and with JPEG draft scaling (what a
thumbnail needs), to size the cheapest fix, and the command's fixed cost: the
interpreter starting, importing what `picat import` needs and exiting
(`python -m picat.cli import --help`), which the command's rate includes.

The command also runs on a server of its own with `LARGER` times as many files
(the same files first), so that its rate reads both ways: what a short import
takes, fixed costs included (start-up and the one closing WAITAOF, up to a
second), and the throughput a big folder gets.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image as PILImage

from picat.capture.durable import connect_single
from picat.capture.importer import import_files
from picat.capture.workers import MIN_PARALLEL_ITEMS, cores
from picat.schema import DEFAULT_CATALOGUE, Catalogue, index

from .photos import SIZE, write_photos
from .servers import private_redis

THUMBNAIL_SIZE = 320
LARGER = 5
"""The second command run imports this many times the files."""
DECODE_SAMPLE = 50
STARTUP_RUNS = 5
PARTS = {
    "decode": (("importer.py", "_decode"),),
    "redis_write": (("store.py", "save_many"), ("importer.py", "put"), ("importer.py", "stop")),
    "aof_confirm": (("durable.py", "confirm"),),
    "duplicate_check": (("importer.py", "already_imported"),),
}
"""Each part of the import, as the (module file, function) pairs whose time it is."""

DECODE_PARTS = {
    "open_and_decode": ("decoding.py", "_open_picture"),
    "exif_transpose": ("ImageOps.py", "exif_transpose"),
    "thumbnail": ("imaging.py", "make_thumbnail"),
    "lux_estimate": ("photo_facts.py", "estimated_lux"),
}
"""What decoding one file (`decoding.describe`) spends its time on."""


def _cumulative(stats: pstats.Stats, module: str, function: str) -> float:
    """Seconds spent in a function and everything it called, over all its calls."""
    return sum(
        row[3] for (path, _, name), row in stats.stats.items()  # type: ignore[attr-defined]
        if name == function and Path(path).name == module
    )


def _in_process(
    url: str, paths: list[Path], tag: str, workers: int | None = None
) -> tuple[float, int]:
    catalogue = Catalogue(prefix=f"{tag}:image:", index=f"{tag}:idx:images")
    r = connect_single(url)
    index.apply(r, catalogue)
    began = time.perf_counter()
    report = import_files(r, paths, "bench", 0, THUMBNAIL_SIZE, catalogue, progress=False,
                          workers=workers)
    return time.perf_counter() - began, len(report.imported)


def _profiled(url: str, paths: list[Path]) -> dict[str, float]:
    catalogue = Catalogue(prefix="profiled:image:", index="profiled:idx:images")
    r = connect_single(url)
    index.apply(r, catalogue)
    profile = cProfile.Profile()
    profile.runcall(import_files, r, paths, "bench", 0, THUMBNAIL_SIZE, catalogue, False, 1)
    stats = pstats.Stats(profile)
    total = _cumulative(stats, "importer.py", "import_files")
    shares = {
        part: sum(_cumulative(stats, module, name) for module, name in functions) / total
        for part, functions in PARTS.items()
    }
    shares["other"] = 1.0 - sum(shares.values())
    for part, (module, name) in DECODE_PARTS.items():
        shares[f"decode.{part}"] = _cumulative(stats, module, name) / total
    return shares


def _command(url: str, workdir: Path, folder: Path) -> tuple[float, int, dict[str, str]]:
    """`picat import <folder>` into the server at `url`: (seconds, pictures indexed, env)."""
    env = {
        **os.environ, "REDIS_URL": url, "IMAGE_TTL": "0", "CAMERA_ID": "bench",
        "PICAT_DATA_DIR": str(workdir / "data"),
    }
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "picat.cli", "import", str(folder)], env=env,
                   check=True, capture_output=True)
    seconds = time.perf_counter() - began
    r = connect_single(url)
    imported = int(r.execute_command(
        "FT.SEARCH", DEFAULT_CATALOGUE.index, "*", "LIMIT", "0", "0")[0])
    return seconds, imported, env


def _decode_ms(paths: list[Path], draft: bool) -> float:
    """Mean milliseconds to decode one file fully, or with JPEG draft scaling to ~320 px."""
    began = time.perf_counter()
    for path in paths:
        with PILImage.open(path) as picture:
            if draft:
                picture.draft("RGB", (THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            picture.load()
    return (time.perf_counter() - began) * 1000 / len(paths)


def _startup_seconds(env: dict[str, str]) -> float:
    """Median seconds of `python -m picat.cli import --help`: start-up and exit, no work."""
    runs = []
    for _ in range(STARTUP_RUNS):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "picat.cli", "import", "--help"], env=env,
                       check=True, capture_output=True)
        runs.append(time.perf_counter() - began)
    return statistics.median(runs)


def measure_import(workdir: Path, count: int, seed: int) -> dict[str, Any]:
    larger = write_photos(workdir / "photos-larger", count * LARGER, seed)
    folder = workdir / "photos"
    folder.mkdir()
    paths = []
    for path in larger[:count]:  # photos() is deterministic: the first `count` are the same
        paths.append(folder / path.name)
        os.link(path, paths[-1])
    sizes = [path.stat().st_size for path in paths]
    with private_redis(durable=True) as (url, r):
        index.apply(r, DEFAULT_CATALOGUE)
        larger_seconds, larger_imported, _ = _command(url, workdir, workdir / "photos-larger")
    with private_redis(durable=True) as (url, r):
        index.apply(r, DEFAULT_CATALOGUE)
        cli_seconds, cli_imported, env = _command(url, workdir, folder)
        cli_startup_seconds = _startup_seconds(env)
        seconds, imported = _in_process(url, paths, "inprocess")
        one_core_seconds, one_core_imported = _in_process(url, paths, "onecore", workers=1)
        shares = _profiled(url, paths)
    sample = paths[:DECODE_SAMPLE]
    return {
        "files": count,
        "picture_size": f"{SIZE[0]}x{SIZE[1]}",
        "mean_file_bytes": sum(sizes) / len(sizes),
        "cli_seconds": cli_seconds,
        "cli_imported": cli_imported,
        "cli_pictures_per_s": cli_imported / cli_seconds,
        "cli_startup_seconds": cli_startup_seconds,
        "cli_larger_files": len(larger),
        "cli_larger_seconds": larger_seconds,
        "cli_larger_imported": larger_imported,
        "cli_larger_pictures_per_s": larger_imported / larger_seconds,
        "in_process_seconds": seconds,
        "in_process_pictures_per_s": imported / seconds,
        "in_process_workers": cores() if count >= MIN_PARALLEL_ITEMS else 1,
        "one_core_pictures_per_s": one_core_imported / one_core_seconds,
        "shares": shares,
        "decode_full_ms": _decode_ms(sample, draft=False),
        "decode_draft_ms": _decode_ms(sample, draft=True),
    }
