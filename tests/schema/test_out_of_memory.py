"""When Redis is full anyway (kept pictures fill it, or an external server at its maxmemory
with noeviction): capture spools and says exactly why, the gallery still deletes and
keeps (a delete frees memory), and everything spooled goes in once there is room."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from picat.capture.durable import DurableWriter, connect_single
from picat.capture.spool import Capture, Spool
from picat.capture.uploader import Uploader
from picat.embedded import EmbeddedRedis
from picat.schema import DEFAULT_CATALOGUE, Image, connect, index, store

from ..factories import jpeg, make_app, picture
from ..forms import csrf_from


def message(kept: int) -> re.Pattern[str]:
    return re.compile(
        rf"Redis is out of memory: \d+ MB used of \d+ MB, {kept} kept pictures; "
        r"raise PICAT_MEMORY_BUDGET or un-keep pictures"
    )


def big_picture(taken: float, kept: bool = False) -> tuple[Image, bytes]:
    """A picture and 300 KB that do not compress, expiring in an hour unless `kept`."""
    return picture(taken, lux=2.0, expires_at=None if kept else taken + 3600), os.urandom(300_000)


def test_a_full_redis_spools_with_the_reason_and_takes_everything_once_freed(
    embedded_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    server = embedded_redis()
    r = connect(server.url)
    index.apply(r)
    now = time.time()
    stored = [big_picture(now - 100 + n, kept=n < 3) for n in range(8)]
    stored[0] = (stored[0][0], jpeg())  # a real JPEG, so a thumbnail can be made of it
    for image, data in stored:
        store.save(r, image, data, b"thumb")
    # An external server at its maxmemory with noeviction: every write that needs memory fails.
    r.config_set("maxmemory", int(r.info("memory")["used_memory"]) - 100_000)
    r.config_set("maxmemory-policy", "noeviction")

    spool = Spool(tmp_path / "spool", 50 * 2**20)
    uploader = Uploader(spool, DurableWriter(connect_single(server.url)), DEFAULT_CATALOGUE)
    waiting = [big_picture(now + n) for n in range(3)]
    for image, data in waiting:
        spool.put(Capture(image, data, b"thumb"))
    try:
        assert not uploader.try_drain()
        assert message(3).fullmatch(uploader.outage or ""), uploader.outage
        assert len(spool.pending()) == 3

        # The gallery still works: pages read, keep and delete go through (no half-done).
        app = make_app(server.url)

        @app.post("/needs-memory")
        def needs_memory() -> str:
            r.hset(DEFAULT_CATALOGUE.key(stored[0][0].pk), "note", "x" * 1000)
            return "written"

        client = app.test_client()
        assert client.get("/").status_code == 200
        token = csrf_from(client.get("/").get_data(as_text=True))
        kept_now, _ = stored[3]
        assert client.post(f"/images/{kept_now.pk}/keep", data={"csrf_token": token}
                           ).status_code == 303
        assert r.ttl(DEFAULT_CATALOGUE.key(kept_now.pk)) == -1
        for image, _ in stored[4:5]:  # each waits for the fsync (WAITAOF, ~1 s)
            response = client.post(f"/images/{image.pk}/delete", data={"csrf_token": token})
            assert response.status_code == 303
            assert not r.exists(DEFAULT_CATALOGUE.key(image.pk))
        # A seed picture's thumbnail is made and shown, though Redis cannot store it now.
        seed, _ = stored[0]
        r.hdel(DEFAULT_CATALOGUE.key(seed.pk), "thumbnail")
        shown = client.get(f"/images/{seed.pk}/thumbnail")
        assert shown.status_code == 200 and shown.data.startswith(b"\xff\xd8")
        # Any write that needs memory fails with the same words as capture's.
        r.config_set("maxmemory", int(r.info("memory")["used_memory"]) - 100_000)
        full = client.post("/needs-memory", data={"csrf_token": token})
        assert full.status_code == 503
        assert message(4).search(full.get_data(as_text=True)), full.get_data(as_text=True)[-800:]

        # Room again: everything spooled goes in, nothing lost.
        r.config_set("maxmemory", 0)
        assert uploader.try_drain() and uploader.outage is None
        assert not spool.pending()
        for image, data in waiting:
            assert store.load_blob(r, image.pk, "image_data") == data
    finally:
        spool.close()


def test_pictures_written_before_redis_filled_up_are_not_written_again(
    embedded_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    """Redis takes the first of a batch, then is full: the first is known as written, so
    once there is room the replay does not write it again over the keep made meanwhile."""
    server = embedded_redis()
    r = connect(server.url)
    index.apply(r)
    now = time.time()
    spool = Spool(tmp_path / "spool", 50 * 2**20)
    uploader = Uploader(spool, DurableWriter(connect_single(server.url)), DEFAULT_CATALOGUE)
    batch = [big_picture(now + n) for n in range(3)]
    batch[0] = (batch[0][0], os.urandom(10_000))  # a small one first, then two of 3 MB
    batch[1:] = [(image, os.urandom(3_000_000)) for image, _ in batch[1:]]
    for image, data in batch:
        spool.put(Capture(image, data, b"thumb"))
    # Room for the small picture, not for a big one: Redis refuses the write after it.
    r.config_set("maxmemory", int(r.info("memory")["used_memory"]) + 1_000_000)
    try:
        assert not uploader.try_drain()
        first = DEFAULT_CATALOGUE.key(batch[0][0].pk)
        assert r.exists(first) and not r.exists(DEFAULT_CATALOGUE.key(batch[1][0].pk))
        assert store.keep(r, batch[0][0].pk)  # the user keeps it while Redis is full

        r.config_set("maxmemory", 0)
        assert uploader.try_drain() and not spool.pending()
        assert r.ttl(first) == -1, "the replay wrote the kept picture again, with its TTL"
        for image, data in batch:
            assert store.load_blob(r, image.pk, "image_data") == data
    finally:
        spool.close()
