"""Should picture hashes stay listpacks? `hash-max-listpack-value` 64 against a large limit.

A hash holding a value over `hash-max-listpack-value` bytes (64 by default) is
stored as a hashtable, one allocation per field and value; under it, as one
compact listpack. Our hashes hold two blobs, so the default makes every picture a
hashtable. This runs two private servers side by side, identical but for that
setting, loads the same catalogue and the same full-size photos into both, and
times what users feel in one interleaved loop: HGET of a thumbnail and of a full
picture, the MULTI/EXEC write of a full picture, the gallery page and FT.SEARCH.
It also checks that a 4 MB PNG round-trips through a large listpack.

`python -m bench.listpack [--pictures 10000] [--photos 200] [--runs 200]`
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import redis
from PIL import Image as PILImage

from picat.capture.imaging import make_thumbnail
from picat.schema import DEFAULT_CATALOGUE, IMAGE_DATA, THUMBNAIL, Image, index, new_image_id
from picat.schema.store import keep, load_blob, save
from picat.webapp import create_app

from . import baselines, dataset, memory
from .photos import photos
from .servers import private_redis
from .timing import measure

DEFAULT_LIMIT = 64
LARGE_LIMIT = 16 * 1024 * 1024
CATALOGUE = DEFAULT_CATALOGUE


def _encoding(r: redis.Redis, key: str) -> str:
    return r.object("encoding", key).decode()


def _photo_images(count: int, seed: int) -> list[tuple[Image, bytes, bytes]]:
    """Full-size photo-like JPEGs (230-450 KB) with their thumbnails and metadata."""
    result = []
    start = time.time() - 3600
    for i, data in enumerate(photos(count, seed)):
        thumbnail = make_thumbnail(PILImage.open(io.BytesIO(data)), dataset.REALISTIC_EDGE)
        image = Image(
            pk=new_image_id(start + i), mime_type="image/jpeg", timestamp=start + i, lux=500.0,
            camera="bench", trigger="import", width=1640, height=1232,
            checksum=hashlib.sha256(data).hexdigest(),
        )
        result.append((image, data, thumbnail))
    return result


def _load(
    r: redis.Redis, pictures: int, real: list[tuple[Image, bytes, bytes]], seed: int,
    pool: list[bytes], now: float,
) -> dict[str, Any]:
    """The synthetic catalogue, then the full-size photos; memory beyond blobs for each."""
    index.apply(r, CATALOGUE)
    before = memory.used_memory(r)
    loaded = dataset.load(r, dataset.pictures(pictures, seed, now, pool), CATALOGUE)
    catalogue_memory = memory.per_picture(r, CATALOGUE, before, loaded.blob_bytes, pictures)
    before = memory.used_memory(r)
    for image, data, thumbnail in real:
        save(r, image, data, thumbnail, CATALOGUE)
    grown = memory.used_memory(r) - before
    blobs = sum(len(data) + len(thumbnail) for _, data, thumbnail in real)
    first_photo = CATALOGUE.key(real[0][0].pk)
    return {
        "catalogue": catalogue_memory,
        "photos_overhead_per_picture_bytes": (grown - blobs) / len(real),
        "photos_mean_bytes": blobs / len(real),
        "encoding_catalogue": _encoding(r, CATALOGUE.key(loaded_key(r))),
        "encoding_photo": _encoding(r, first_photo),
        "load_seconds": loaded.seconds,
        "newest": loaded.newest,
    }


def loaded_key(r: redis.Redis) -> str:
    """The id of one picture of the synthetic catalogue (camera `garden`)."""
    reply = r.execute_command("FT.SEARCH", CATALOGUE.index, "@camera:{garden}", "NOCONTENT",
                              "LIMIT", "0", "1")
    return CATALOGUE.id_from_key(reply[1])


def _actions(
    name: str, url: str, r: redis.Redis, real: list[tuple[Image, bytes, bytes]]
) -> dict[str, Callable[[], object]]:
    client = create_app(url, catalogue=CATALOGUE, secret_key=b"bench").test_client()
    thumb_key = CATALOGUE.key(loaded_key(r))
    photo_key = CATALOGUE.key(real[len(real) // 2][0].pk)
    image, data, thumbnail = real[0]
    counter = iter(range(10**9))

    def write() -> None:
        fresh = image.model_copy(update={"pk": new_image_id(time.time() + next(counter))})
        save(r, fresh, data, thumbnail, CATALOGUE)

    return {
        f"{name}:hget_thumbnail": lambda: r.hget(thumb_key, THUMBNAIL),
        f"{name}:hget_image": lambda: r.hget(photo_key, IMAGE_DATA),
        f"{name}:write_picture": write,
        f"{name}:gallery_page": lambda: client.get("/").data,
        f"{name}:ft_search_naive": lambda: baselines.naive_page(r, CATALOGUE, 0),
        f"{name}:ft_search_checksum": lambda: r.execute_command(
            "FT.SEARCH", CATALOGUE.index, f"@checksum:{{{image.checksum}}}", "NOCONTENT"),
    }


def big_png_round_trip(r: redis.Redis) -> dict[str, Any]:
    """A 4 MB PNG written, read, found, kept and re-thumbnailed in one hash."""
    pixels = np.random.default_rng(4).integers(0, 256, size=(1200, 1200, 3), dtype=np.uint8)
    out = io.BytesIO()
    PILImage.fromarray(pixels).save(out, "PNG")
    data = out.getvalue()
    image = Image(pk=new_image_id(time.time()), mime_type="image/png", timestamp=time.time(),
                  lux=1.0, camera="png", trigger="import", width=1200, height=1200,
                  checksum=hashlib.sha256(data).hexdigest(), expires_at=time.time() + 3600)
    save(r, image, data, b"thumb", CATALOGUE)
    key = CATALOGUE.key(image.pk)
    found = r.execute_command("FT.SEARCH", CATALOGUE.index, "@camera:{png}", "NOCONTENT")
    kept = keep(r, image.pk, CATALOGUE)
    return {
        "bytes": len(data),
        "encoding": _encoding(r, key),
        "read_back_equal": load_blob(r, image.pk, IMAGE_DATA, CATALOGUE) == data,
        "found_by_search": int(found[0]) == 1,
        "kept": kept and r.ttl(key) == -1 and not r.hexists(key, "expires_at"),
    }


def run(pictures: int, photo_count: int, runs: int, seed: int) -> dict[str, Any]:
    real = _photo_images(photo_count, seed)
    pool = dataset.thumbnail_pool(dataset.REALISTIC_EDGE, seed)
    now = time.time()
    results: dict[str, Any] = {"pictures": pictures, "photos": photo_count}
    actions: dict[str, Callable[[], object]] = {}
    with contextlib.ExitStack() as stack:
        for name, limit in (("hashtable", DEFAULT_LIMIT), ("listpack", LARGE_LIMIT)):
            url, r = stack.enter_context(private_redis(durable=True))
            r.config_set("hash-max-listpack-value", limit)
            results[name] = _load(r, pictures, real, seed, pool, now)
            results[name]["hash_max_listpack_value"] = limit
            results[name]["hash_max_listpack_entries"] = r.config_get(
                "hash-max-listpack-entries")
            results[name]["png_4mb"] = big_png_round_trip(r)
            actions.update(_actions(name, url, r, real))
        results["timings"] = {k: v.as_dict() for k, v in measure(actions, runs).items()}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.listpack",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--pictures", type=int, default=10_000)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.pictures, args.photos, args.runs, args.seed), indent=1,
                     default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
