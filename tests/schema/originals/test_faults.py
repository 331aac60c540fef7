"""Faults: the S3 server killed under capture and under a migration, a blob deleted behind
our back. Each kill test runs its own SeaweedFS, SIGKILLed and restarted on the same data."""

from __future__ import annotations

import io
import logging
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from picat.capture.durable import DurableWriter, connect_single
from picat.capture.service import CaptureService
from picat.capture.spool import Spool
from picat.capture.triggers import IntervalTrigger
from picat.capture.uploader import Uploader
from picat.schema import IMAGE_DATA, Catalogue, Image, store
from picat.schema.migrate import migrate
from picat.schema.originals import S3Store, StoreUnavailable, checksum

from ...capture.helpers import small_camera
from ...factories import jpeg, make_app, picture
from ...running import wait_for
from ...seaweed import SeaweedServer
from .helpers import colour

BUCKET = "picat-faults"


@pytest.fixture
def private_s3(tmp_path: Path) -> Iterator[SeaweedServer]:
    server = SeaweedServer(tmp_path / "seaweed").start()
    client = server.endpoint.client()
    client.create_bucket(Bucket=BUCKET)
    client.close()
    yield server
    server.kill()


def _restart(server: SeaweedServer) -> None:
    SeaweedServer.start(server)


@pytest.mark.slow
def test_capture_run_survives_the_s3_server_killed(
    redis_url: str, r: redis.Redis, catalogue: Catalogue, private_s3: SeaweedServer,
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    blobs = S3Store(BUCKET, "capture", private_s3.endpoint.client())
    on_s3 = Catalogue(catalogue.prefix, catalogue.index, originals=blobs)
    spool = Spool(tmp_path / "spool", 50 * 2**20)
    uploader = Uploader(spool, DurableWriter(connect_single(redis_url), on_s3), on_s3)
    service = CaptureService(small_camera(), IntervalTrigger(0.2), spool, uploader, "kill-s3", 3600)
    stop = threading.Event()
    caplog.set_level(logging.DEBUG, logger="picat.capture")
    running = threading.Thread(target=service.run, args=(stop,))
    running.start()
    try:
        wait_for(lambda: len(list(r.scan_iter(match=catalogue.prefix + "*"))) >= 3, timeout=30)
        private_s3.kill()
        wait_for(lambda: "The image store is unreachable" in caplog.text, timeout=30)
        wait_for(lambda: len(list(spool.directory.glob("*.spool"))) >= 4, timeout=30)
        _restart(private_s3)
        wait_for(lambda: "The image store is back" in caplog.text, timeout=60)
    finally:
        stop.set()
        running.join(30)
    assert spool.pending() == []
    captured = [line.split()[1] for line in caplog.messages if line.startswith("captured ")]
    stored = [line.split()[1].removeprefix(catalogue.prefix) for line in caplog.messages
              if line.startswith("stored ")]
    assert len(captured) >= 7
    missing = set(captured) - set(stored)
    assert stored == captured, [m for m in caplog.messages if any(i in m for i in missing)]
    keys = sorted(key.decode() for key in r.scan_iter(match=catalogue.prefix + "*"))
    assert keys == sorted(catalogue.key(image_id) for image_id in captured)
    assert [blob.key for blob in blobs.scan(catalogue.prefix)] == keys, "no blob twice or lost"
    for key in keys:
        fields = r.hgetall(key)
        assert IMAGE_DATA.encode() not in fields
        assert checksum(blobs.get(key)) == fields[b"checksum"].decode()


def _in_redis(r: redis.Redis, catalogue: Catalogue, count: int) -> list[Image]:
    images = []
    for n in range(count):
        taken = time.time() - 1000 + n
        image = picture(taken, camera="garden", expires_at=time.time() + 3600)
        store.save(r, image, jpeg(colour(n), (320, 240)), jpeg(colour(n), (16, 12)), catalogue)
        images.append(image)
    return images


@pytest.mark.slow
def test_migration_interrupted_by_the_s3_server_killed_completes_on_rerun(
    r: redis.Redis, catalogue: Catalogue, private_s3: SeaweedServer
) -> None:
    images = _in_redis(r, catalogue, 40)
    target = S3Store(BUCKET, "migrate", private_s3.endpoint.client())
    failure: list[BaseException] = []

    def run() -> None:
        try:
            migrate(r, target, catalogue, batch=10, progress=False)
        except StoreUnavailable as exc:
            failure.append(exc)

    moving = threading.Thread(target=run)
    moving.start()

    def moved() -> int:
        with r.pipeline(transaction=False) as pipe:
            for image in images:
                pipe.hexists(catalogue.key(image.pk), "blob_store")
            return sum(pipe.execute())

    wait_for(lambda: moved() >= 3 or not moving.is_alive(), timeout=60)
    private_s3.kill()
    moving.join(60)
    assert failure, "the migration stopped at the outage"
    part = moved()
    assert 3 <= part < len(images)
    _restart(private_s3)
    report = migrate(r, target, catalogue, batch=10, progress=False)
    assert report.moved == len(images) - part and report.already == part
    keys = sorted(catalogue.key(image.pk) for image in images)
    assert [blob.key for blob in target.scan(catalogue.prefix)] == keys, "no blob leaked"
    for n, image in enumerate(images):
        key = catalogue.key(image.pk)
        assert not r.hexists(key, IMAGE_DATA)
        assert target.get(key) == jpeg(colour(n), (320, 240))
        assert 0 < r.ttl(key) <= 3600


def test_blob_deleted_behind_our_back(
    redis_url: str, r: redis.Redis, store_catalogue: Catalogue
) -> None:
    taken = time.time() - 60
    image = picture(taken, camera="garden", expires_at=time.time() + 3600)
    store.save(r, image, jpeg(colour(1)), jpeg(colour(1), (16, 12)), store_catalogue)
    other = picture(taken + 1, camera="garden")
    store.save(r, other, jpeg(colour(2)), jpeg(colour(2), (16, 12)), store_catalogue)
    key = store_catalogue.key(image.pk)
    if store_catalogue.originals is None:
        r.hdel(key, IMAGE_DATA)
    else:
        store_catalogue.originals.delete([key])
    client = make_app(redis_url, store_catalogue).test_client()
    assert client.get(f"/api/images/{image.pk}").get_json()["original"] == "missing"
    page = client.get(f"/images/{image.pk}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Original missing" in text
    assert f"/images/{image.pk}/thumbnail" in text
    assert client.get(f"/images/{image.pk}/thumbnail").status_code == 200
    full = client.get(f"/images/{image.pk}/image")
    assert full.status_code == 404
    archive = client.get(f"/bulk/zip?id={image.pk}&id={other.pk}")
    with zipfile.ZipFile(io.BytesIO(archive.data)) as pictures:
        assert [pictures.read(name) for name in pictures.namelist()] == [jpeg(colour(2))]
