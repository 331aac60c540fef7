"""One catalogue size end to end, and the size-independent scenarios (import, page weight).

Each writes a JSON document; `__main__` keeps them per size, so a long run can be
resumed and the table and plot are rebuilt from whatever has been measured.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from picat.capture.durable import connect_single
from picat.capture.importer import import_files
from picat.schema import DEFAULT_CATALOGUE, index
from picat.webapp import create_app

from . import dataset, memory, scenarios, weight
from .filter_sets import filter_sets
from .importing import measure_import
from .machine import describe
from .photos import write_photos
from .servers import http_gallery, private_redis

SECRET = b"bench-secret"
SEED_PAGE = 9


def run_size(
    n: int, runs: int, seed: int, http_runs: int, code: dict[str, Any]
) -> dict[str, Any]:
    """Load N pictures into a private Redis, then time every scenario against it."""
    catalogue = DEFAULT_CATALOGUE
    realistic = n <= dataset.REALISTIC_UP_TO
    with private_redis(durable=False) as (url, r):
        index.apply(r, catalogue)
        before = memory.used_memory(r)
        pool = dataset.thumbnail_pool(
            dataset.REALISTIC_EDGE if realistic else dataset.TINY_EDGE, seed
        )
        print(f"N={n:,}: loading ({'realistic' if realistic else 'tiny'} thumbnails)", flush=True)
        loaded = dataset.load(
            r, dataset.pictures(n, seed, time.time(), pool), catalogue, progress=True
        )
        indexed = int((index.index_info(r, catalogue.index) or {}).get("num_docs", 0))
        if indexed != n:
            raise RuntimeError(f"{indexed:,} of {n:,} pictures are indexed")
        used = memory.per_picture(r, catalogue, before, loaded.blob_bytes, n)
        app = create_app(url, catalogue=catalogue, secret_key=SECRET)
        all_sets = filter_sets(loaded.newest, loaded.oldest)
        print(f"N={n:,}: timing", flush=True)
        timings, facts = scenarios.run(
            app.test_client(), r, catalogue, n, all_sets, loaded.newest, runs
        )
        with http_gallery(app) as (host, port):
            page_load = weight.page_loads(host, port, "/", http_runs)
        machine = describe(r)
    return {
        "n": n,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine,
        "source": code,
        "dataset": {
            "pictures": loaded.pictures,
            "load_seconds": loaded.seconds,
            "span_days": (loaded.newest - loaded.oldest) / 86400,
            "thumbnails": "realistic (320 px)" if realistic else "tiny (24 px)",
            "mean_thumbnail_bytes": loaded.thumbnail_bytes,
            "views": {v.name: {"label": v.label, "params": v.params, "query": v.query}
                      for v in all_sets},
        },
        "timings": {name: timing.as_dict() for name, timing in timings.items()},
        "facts": facts,
        "memory": used,
        "page_load": page_load,
    }


def run_shared(import_count: int, seed: int, http_runs: int) -> dict[str, Any]:
    """`picat import` throughput, then the page weight of the pictures it imported."""
    with tempfile.TemporaryDirectory(prefix="picat-bench-import-") as scratch:
        print(f"import: {import_count} pictures", flush=True)
        imported = measure_import(Path(scratch), import_count, seed)
    with tempfile.TemporaryDirectory(prefix="picat-bench-weight-") as scratch:
        print("page weight", flush=True)
        page_weight = _page_weight(Path(scratch), seed, http_runs)
    return {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "import": imported,
        "page_weight": page_weight,
    }


def _page_weight(workdir: Path, seed: int, http_runs: int) -> dict[str, Any]:
    """Our 24-card page against the seed's 9 full pictures, for the same imported pictures."""
    paths = write_photos(workdir / "photos", 24, seed + 1)
    with private_redis(durable=True) as (url, r):
        index.apply(r, DEFAULT_CATALOGUE)
        import_files(connect_single(url), paths, "bench", 0, 320, progress=False)
        app = create_app(url, secret_key=SECRET)
        newest = app.test_client().get("/api/images").get_json()["images"]
        with http_gallery(app) as (host, port):
            loads = weight.page_loads(host, port, "/", http_runs)
            seed_bytes = weight.seed_page(host, port, [i["id"] for i in newest[:SEED_PAGE]])
    return {
        "pictures": len(paths),
        "mean_picture_bytes": sum(p.stat().st_size for p in paths) / len(paths),
        "ours": loads,
        "seed_9_full_pictures_bytes": seed_bytes,
    }
