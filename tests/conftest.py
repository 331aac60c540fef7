"""Fixtures that give every test a real Redis with RediSearch.

Where the server comes from, in order: `REDIS_URL` if set; a `redis/redis-stack-server`
container through testcontainers when a Docker daemon answers; else the embedded
server from PyPI wheels (`picat.embedded`) in a temporary directory. Each test gets
its own `Catalogue` (a private key prefix and index name), so tests never see each
other's data and never touch a user's `image:*` keys; nothing is ever flushed.

Object storage likewise: `PICAT_TEST_S3_ENDPOINT` (with `AWS_ACCESS_KEY_ID` and
`AWS_SECRET_ACCESS_KEY`) if set, else SeaweedFS from its wheel in a temporary
directory, started only when a test asks for it. `store_catalogue` runs a test
once per image store: Redis, a folder, and the S3 gateway.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import flask
import pytest
import redis
from flask import Flask

from picat.embedded import EmbeddedRedis, free_port
from picat.schema import Catalogue, Image, connect, index, store, summary
from picat.schema.clock import local_time_fields
from picat.schema.originals import BlobStore, FileStore, S3Store
from picat.timelapse.jobs import key_prefix
from picat.webapp.server import make_server

from .factories import BASE_TIME, AddPicture, jpeg, make_app, picture, save_seed_picture
from .seaweed import S3Endpoint, SeaweedServer

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
    keys += r.scan_iter(match=summary.key_pattern(catalogue), count=1000)
    for start in range(0, len(keys), 500):
        r.delete(*keys[start : start + 500])


@pytest.fixture
def catalogue(r: redis.Redis, bare_catalogue: Catalogue) -> Catalogue:
    """A private namespace with the current index applied."""
    index.apply(r, bare_catalogue)
    return bare_catalogue


TEST_BUCKET = "picat-tests"


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """An S3 API with the bucket `picat-tests`: external if configured, else SeaweedFS."""
    if os.environ.get("PICAT_TEST_S3_ENDPOINT"):
        endpoint = S3Endpoint(
            os.environ["PICAT_TEST_S3_ENDPOINT"],
            os.environ.get("AWS_ACCESS_KEY_ID", ""),
            os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
        )
        _ensure_bucket(endpoint)
        yield endpoint
        return
    with SeaweedServer(tmp_path_factory.mktemp("seaweed")) as server:
        _ensure_bucket(server.endpoint)
        yield server.endpoint


def _ensure_bucket(endpoint: S3Endpoint) -> None:
    client = endpoint.client()
    try:
        client.create_bucket(Bucket=TEST_BUCKET)
    except (client.exceptions.BucketAlreadyOwnedByYou, client.exceptions.BucketAlreadyExists):
        pass
    finally:
        client.close()


@pytest.fixture(params=["redis", "file", "s3"])
def image_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore | None]:
    """Each image store in turn (None: originals in the hash); emptied afterwards."""
    if request.param == "redis":
        yield None
        return
    if request.param == "file":
        yield FileStore(tmp_path / "originals")
        return
    endpoint: S3Endpoint = request.getfixturevalue("s3_endpoint")
    store = S3Store(TEST_BUCKET, f"t-{uuid.uuid4().hex[:10]}", endpoint.client())
    yield store
    store.delete(listed.key for listed in store.scan(""))
    store.close()


@pytest.fixture
def store_catalogue(catalogue: Catalogue, image_store: BlobStore | None) -> Catalogue:
    """The test's catalogue, with new originals going to `image_store`."""
    return Catalogue(catalogue.prefix, catalogue.index, originals=image_store)


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


@pytest.fixture
def app(redis_url: str, catalogue: Catalogue) -> flask.Flask:
    """The gallery on the test's catalogue (`factories.make_app`)."""
    return make_app(redis_url, catalogue)


@pytest.fixture
def client(app: flask.Flask) -> flask.testing.FlaskClient:
    return app.test_client()


@pytest.fixture
def live_url(app: flask.Flask) -> Iterator[str]:
    """`app` served over HTTP as `picat web` serves it (`served`), for a browser."""
    with served(app) as url:
        yield url


@pytest.fixture
def forget_jobs(r: redis.Redis, catalogue: Catalogue) -> Iterator[None]:
    """Remove the test catalogue's timelapse job keys afterwards."""
    yield
    keys = list(r.scan_iter(match=key_prefix(catalogue) + "*"))
    if keys:
        r.delete(*keys)


@pytest.fixture
def add_picture(r: redis.Redis, catalogue: Catalogue) -> AddPicture:
    """Save a small JPEG picture taken `offset` seconds after `BASE_TIME` (yesterday), as
    capture would: a thumbnail, a gallery's usual fields and an expiry ten years on;
    keyword arguments override the fields (`pk` and `timestamp` too), `data` the JPEG."""

    def add(
        offset: float = 0.0, *, thumbnail: bool = True, data: bytes | None = None, **fields: object
    ) -> Image:
        timestamp = float(fields.pop("timestamp", BASE_TIME + offset))
        time_of_day, utc_offset = local_time_fields(timestamp, None)
        values: dict[str, object] = {
            "lux": 100.0,
            "camera": "garden",
            "trigger": "interval",
            "width": 64,
            "height": 48,
            "time_of_day": time_of_day,
            "utc_offset": utc_offset,
            "expires_at": timestamp + 10 * 365 * 86400,
        }
        values.update(fields)
        image = picture(timestamp, **values)
        body = data if data is not None else jpeg()
        store.save(r, image, body, jpeg(size=(32, 24)) if thumbnail else None, catalogue)
        return image

    return add


@pytest.fixture
def add_seed_picture(r: redis.Redis, catalogue: Catalogue) -> Callable[..., str]:
    """Write a hash as the seed project did (`factories.save_seed_picture`); its id."""

    def add(seconds: int, data: bytes | None = None, mime_type: str = "image/jpeg") -> str:
        return save_seed_picture(r, catalogue, seconds, data=data, mime_type=mime_type)

    return add
