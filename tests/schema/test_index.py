"""The index definition: idempotent apply, zero-downtime migration, and `show` for redis-cli."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from urllib.parse import urlparse

import pytest
import redis

from picat.schema import Catalogue, index

SEED_SCHEMA = ["mime_type", "TAG", "lux", "NUMERIC", "SORTABLE", "timestamp", "NUMERIC", "SORTABLE"]


def _seed_hashes(r: redis.Redis, catalogue: Catalogue, count: int) -> None:
    with r.pipeline(transaction=False) as pipe:
        for n in range(count):
            pipe.hset(
                catalogue.prefix + str(1681843615 + n),
                mapping={
                    "image_data": b"\xff\xd8\xff\xe0" + n.to_bytes(4, "big"),
                    "timestamp": str(1681843615 + n),
                    "lux": str(n % 500),
                    "mime_type": "image/jpeg",
                },
            )
        pipe.execute()


def _definition(r: redis.Redis, name: str) -> tuple[object, object]:
    info = index.index_info(r, name)
    assert info is not None
    return info["index_definition"], info["attributes"]


def test_apply_twice_changes_nothing_the_second_time(
    r: redis.Redis, bare_catalogue: Catalogue
) -> None:
    first = index.apply(r, bare_catalogue)
    listed = sorted(r.execute_command("FT._LIST"))
    second = index.apply(r, bare_catalogue)
    assert (first.action, second.action) == ("created", "unchanged")
    assert second.index == first.index == index.target_index(bare_catalogue)
    assert sorted(r.execute_command("FT._LIST")) == listed


def test_apply_migrates_the_seed_index_and_queries_never_come_back_empty(
    r: redis.Redis, bare_catalogue: Catalogue
) -> None:
    _seed_hashes(r, bare_catalogue, 20_000)
    r.execute_command(
        "FT.CREATE",
        bare_catalogue.index,
        "ON",
        "HASH",
        "PREFIX",
        "1",
        bare_catalogue.prefix,
        "SCHEMA",
        *SEED_SCHEMA,
    )
    index._wait_until_indexed(r, bare_catalogue.index, 60)

    totals: list[int] = []
    errors: list[Exception] = []
    stop = threading.Event()

    def query_all_the_time() -> None:
        client = redis.Redis(connection_pool=r.connection_pool)
        while not stop.is_set():
            try:
                reply = client.execute_command(
                    "FT.SEARCH", bare_catalogue.index, "@timestamp:[-inf +inf]", "LIMIT", "0", "0"
                )
                totals.append(int(reply[0]))
            except redis.ResponseError as exc:
                errors.append(exc)

    worker = threading.Thread(target=query_all_the_time)
    worker.start()
    try:
        time.sleep(0.05)
        result = index.apply(r, bare_catalogue)
        time.sleep(0.05)
    finally:
        stop.set()
        worker.join()

    assert result.action == "migrated" and result.replaced == bare_catalogue.index
    assert errors == [] and len(totals) > 10
    assert set(totals) == {20_000}
    assert index.index_info(r, bare_catalogue.index)["index_name"] == result.index.encode()
    assert index.apply(r, bare_catalogue).action == "unchanged"


def test_a_changed_definition_moves_the_alias_and_drops_the_old_version(
    r: redis.Redis, bare_catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed_hashes(r, bare_catalogue, 50)
    old = index.apply(r, bare_catalogue)
    monkeypatch.setattr(index, "FIELDS", (*index.FIELDS, index.IndexField("width", "NUMERIC")))
    new = index.apply(r, bare_catalogue)
    assert new.action == "migrated" and new.replaced == old.index != new.index
    names = {n.decode() for n in r.execute_command("FT._LIST")}
    assert new.index in names and old.index not in names
    reply = r.execute_command("FT.SEARCH", bare_catalogue.index, "*", "LIMIT", "0", "0")
    assert reply[0] == 50


def test_show_piped_into_redis_cli_creates_what_apply_creates(
    r: redis.Redis, redis_url: str, bare_catalogue: Catalogue
) -> None:
    redis_cli = shutil.which("redis-cli")
    if redis_cli is None:
        pytest.skip("redis-cli is not installed (Debian package redis-tools)")
    url = urlparse(redis_url)
    subprocess.run(
        [redis_cli, "-h", url.hostname, "-p", str(url.port)],
        input=index.show(bare_catalogue),
        text=True,
        check=True,
        capture_output=True,
    )
    shown = _definition(r, bare_catalogue.index)
    index.drop(r, bare_catalogue)
    index.apply(r, bare_catalogue)
    assert _definition(r, bare_catalogue.index) == shown


def test_show_prints_the_product_index() -> None:
    shown = index.show()
    assert shown.startswith("FT.CREATE idx:images:v-")
    assert "ON HASH PREFIX 1 image: SCHEMA timestamp NUMERIC SORTABLE lux NUMERIC SORTABLE" in shown
    assert shown.splitlines()[1].startswith("FT.ALIASADD idx:images idx:images:v-")
