"""The embedded Redis: persistence across a crash, loud timeouts, clean shutdown, clear errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from picat import embedded
from picat.embedded import free_port
from picat.schema import DEFAULT_CATALOGUE, connect, index, store

from ..factories import picture
from ..running import stop, wait_for


def test_hashes_written_before_a_kill_survive_a_restart(
    embedded_redis: Callable[..., embedded.EmbeddedRedis], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    server = embedded_redis(data_dir)
    r = connect(server.url)
    index.apply(r)
    ids = []
    for n in range(200):
        image = picture(1_700_000_000 + n, lux=n)
        store.save(r, image, b"\xff\xd8" + bytes([n % 256]) * 100, b"\xff\xd8t", DEFAULT_CATALOGUE)
        ids.append(image.pk)
    server.kill()

    restarted = embedded_redis(data_dir, port=server.port)
    r = connect(restarted.url)
    assert [store.load(r, i).lux for i in ids] == [float(n) for n in range(200)]
    assert store.load_blob(r, ids[7], "image_data") == b"\xff\xd8" + bytes([7]) * 100
    index._wait_until_indexed(r, DEFAULT_CATALOGUE.index, 30)
    reply = r.execute_command("FT.SEARCH", "idx:images", "*", "LIMIT", "0", "0")
    assert reply[0] == 200


def test_a_picture_hash_stays_a_listpack_through_a_restart(
    embedded_redis: Callable[..., embedded.EmbeddedRedis], tmp_path: Path
) -> None:
    server = embedded_redis(tmp_path / "data")
    r = connect(server.url)
    assert r.config_get("hash-max-listpack-value") == {
        "hash-max-listpack-value": str(16 * 1024 * 1024)
    }
    index.apply(r)
    big = os.urandom(4 * 1024 * 1024)  # a 4 MB PNG's worth of incompressible bytes
    image = picture(1_700_000_000, lux=3.0)
    store.save(r, image, big, b"\xff\xd8thumb", DEFAULT_CATALOGUE)
    key = DEFAULT_CATALOGUE.key(image.pk)
    assert r.object("encoding", key) == b"listpack"
    server.kill()

    r = connect(embedded_redis(tmp_path / "data", port=server.port).url)
    assert r.object("encoding", key) == b"listpack"
    assert store.load_blob(r, image.pk, "image_data") == big
    assert store.keep(r, image.pk)
    index._wait_until_indexed(r, DEFAULT_CATALOGUE.index, 30)
    assert r.execute_command("FT.SEARCH", "idx:images", "@lux:[3 3]", "NOCONTENT")[0] == 1


def test_search_module_fails_loudly_on_timeout(redis_url: str) -> None:
    if os.environ.get("REDIS_URL"):
        pytest.skip("checks the embedded server's configuration")
    r = redis.Redis.from_url(redis_url, decode_responses=True, protocol=2)
    assert r.execute_command("FT.CONFIG", "GET", "ON_TIMEOUT") == [["ON_TIMEOUT", "fail"]]
    assert r.execute_command("FT.CONFIG", "GET", "MAXSEARCHRESULTS") == [
        ["MAXSEARCHRESULTS", "1000000"]
    ]
    assert r.config_get("appendonly") == {"appendonly": "yes"}
    assert r.config_get("bind") == {"bind": "127.0.0.1"}


def test_a_taken_port_is_reported_clearly(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(embedded.EmbeddedRedisError, match=f"port {port} .* already taken"):
            embedded.EmbeddedRedis(port, tmp_path).start()


def test_missing_wheels_are_reported_clearly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_such_module(name: str) -> object:
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(embedded.importlib, "import_module", no_such_module)
    monkeypatch.setenv("PATH", str(tmp_path))  # and no redis-server to fall back on
    monkeypatch.delenv("PICAT_REDIS_SERVER", raising=False)
    with pytest.raises(embedded.EmbeddedRedisError, match="x86_64 Linux only"):
        embedded.find_binaries()


def answers(r: redis.Redis) -> bool:
    try:
        return bool(r.set("probe", "1"))
    except redis.ConnectionError:
        return False


def test_picat_redis_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "picat.cli", "redis", "--port", str(port), "--dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        r = redis.Redis(port=port)
        wait_for(lambda: answers(r), 15, "picat redis did not start")
        output = stop(proc, 20)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert "stopped cleanly" in output
    assert (tmp_path / "appendonlydir").is_dir()


def test_picat_redis_says_what_is_wrong_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "picat.cli",
                "redis",
                "--port",
                str(port),
                "--dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is already taken" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_data_directory_is_private(embedded_redis, tmp_path) -> None:
    """The pictures are in its AOF: other local users may not even list it."""
    folder = tmp_path / "private-data"
    folder.mkdir(mode=0o755)
    embedded_redis(folder)
    assert folder.stat().st_mode & 0o777 == 0o700
