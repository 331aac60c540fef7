"""Fixtures that give every test a real Redis with RediSearch.

Where the server comes from, in order: `REDIS_URL` if set; a `redis/redis-stack-server`
container through testcontainers when a Docker daemon answers; else the embedded
server from PyPI wheels (`picat.embedded`) in a temporary directory. Each test gets
its own `Catalogue` (a private key prefix and index name), so tests never see each
other's data and never touch a user's `image:*` keys; nothing is ever flushed.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import redis
from flask import Flask

from picat.embedded import EmbeddedRedis
from picat.schema import Catalogue, connect, index
from picat.webapp.server import make_server

STACK_IMAGE = "redis/redis-stack-server:7.4.0-v3"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of the shared test server for this session."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    with ExitStack() as stack:
        if _docker_answers():
            from testcontainers.community.redis import RedisContainer

            container = stack.enter_context(RedisContainer(STACK_IMAGE))
            host = container.get_container_host_ip()
            yield f"redis://{host}:{container.get_exposed_port(6379)}/0"
        else:
            data_dir = tmp_path_factory.mktemp("redis")
            server = EmbeddedRedis(free_port(), data_dir, str(data_dir / "redis.log"))
            stack.enter_context(server)
            yield server.url


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app behind waitress in a thread, as `picat web` serves it; yields its URL."""
    server = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture
def r(redis_url: str) -> Iterator[redis.Redis]:
    client = connect(redis_url)
    yield client
    client.close()


@pytest.fixture
def bare_catalogue(r: redis.Redis) -> Iterator[Catalogue]:
    """A private namespace with no index yet; removed with its keys afterwards."""
    tag = uuid.uuid4().hex[:10]
    catalogue = Catalogue(prefix=f"test-{tag}:image:", index=f"test-{tag}:idx:images")
    yield catalogue
    index.drop(r, catalogue)
    keys = list(r.scan_iter(match=catalogue.prefix + "*", count=1000))
    for start in range(0, len(keys), 500):
        r.delete(*keys[start : start + 500])


@pytest.fixture
def catalogue(r: redis.Redis, bare_catalogue: Catalogue) -> Catalogue:
    """A private namespace with the current index applied."""
    index.apply(r, bare_catalogue)
    return bare_catalogue


@pytest.fixture
def embedded_redis(tmp_path: Path) -> Iterator[Callable[..., EmbeddedRedis]]:
    """Start private servers (for kill/restart tests); all are stopped afterwards."""
    servers: list[EmbeddedRedis] = []

    def start(data_dir: Path | None = None, port: int | None = None) -> EmbeddedRedis:
        directory = data_dir or tmp_path / f"redis-{len(servers)}"
        server = EmbeddedRedis(port or free_port(), directory, str(directory.parent / "redis.log"))
        servers.append(server.start())
        return server

    yield start
    for server in servers:
        server.kill()
