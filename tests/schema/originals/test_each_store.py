"""Capture, import, gallery, zip, delete, keep, sweep and migration, against each image store.

`store_catalogue` runs every test three times: originals in Redis (the seed's data
model), in a folder, and in SeaweedFS through its S3 gateway.
"""

from __future__ import annotations

import io
import time
import zipfile
from datetime import UTC
from pathlib import Path

import pytest
import redis

from picat.capture.importer import import_files
from picat.schema import IMAGE_DATA, Catalogue, Image, pruning, store
from picat.schema.bulk import delete_ids, keep_ids
from picat.schema.migrate import migrate
from picat.schema.originals import FileStore, S3Store
from picat.schema.sweep import sweep

from ...factories import jpeg, make_app, picture
from .helpers import assert_stored, capture_through_spool, colour


def test_capture_delivers_each_picture_once_to_the_store(
    r: redis.Redis, store_catalogue: Catalogue, tmp_path: Path
) -> None:
    captures = capture_through_spool(r, store_catalogue, tmp_path / "spool", 3)
    for capture in captures:
        assert_stored(r, store_catalogue, capture.image.pk, capture.image_data)
        assert 0 < r.ttl(store_catalogue.key(capture.image.pk)) <= 3600
    if store_catalogue.originals is not None:
        listed = [blob.key for blob in store_catalogue.originals.scan(store_catalogue.prefix)]
        assert listed == sorted(store_catalogue.key(c.image.pk) for c in captures)


def test_import_writes_originals_to_the_store(
    r: redis.Redis, store_catalogue: Catalogue, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    bodies = {f"p{n}.jpg": jpeg(colour(n)) for n in range(3)}
    for name, body in bodies.items():
        (folder / name).write_bytes(body)
    report = import_files(r, [folder], "importer", 0, 64, store_catalogue, progress=False,
                          workers=1)
    assert len(report.imported) == 3
    again = import_files(r, [folder], "importer", 0, 64, store_catalogue, progress=False,
                         workers=1)
    assert len(again.skipped) == 3, "duplicates are found by checksum whatever the store"
    keys = sorted(r.scan_iter(match=store_catalogue.prefix + "*"))
    stored = sorted(
        store.load_original(r, store.load(r, store_catalogue.id_from_key(key), store_catalogue),
                            store_catalogue)
        for key in keys
    )
    assert stored == sorted(bodies.values())
    for key in keys:
        image_id = store_catalogue.id_from_key(key)
        data = store.load_original(r, store.load(r, image_id, store_catalogue), store_catalogue)
        assert_stored(r, store_catalogue, image_id, data)


def _save(r: redis.Redis, catalogue: Catalogue, n: int, ttl: float | None = 3600) -> Image:
    taken = time.time() - 100 + n
    expires_at = None if ttl is None else time.time() + ttl
    image = picture(taken, camera="garden", width=64, height=48, expires_at=expires_at)
    store.save(r, image, jpeg(colour(n)), jpeg(colour(n), (16, 12)), catalogue)
    return store.load(r, image.pk, catalogue)


def test_gallery_serves_originals_with_the_same_headers(
    redis_url: str, r: redis.Redis, store_catalogue: Catalogue
) -> None:
    image = _save(r, store_catalogue, 1)
    client = make_app(redis_url, store_catalogue).test_client()
    response = client.get(f"/images/{image.pk}/image")
    assert response.status_code == 200
    assert response.data == jpeg(colour(1))
    assert response.mimetype == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response.headers["Content-Length"] == str(len(jpeg(colour(1))))
    etag = response.headers["ETag"]
    assert client.get(f"/images/{image.pk}/image",
                      headers={"If-None-Match": etag}).status_code == 304
    part = client.get(f"/images/{image.pk}/image", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.data == jpeg(colour(1))[:10]
    download = client.get(f"/images/{image.pk}/download")
    assert download.data == jpeg(colour(1))
    assert "attachment" in download.headers["Content-Disposition"]
    api = client.get(f"/api/images/{image.pk}").get_json()
    assert api["original"] == "stored"
    assert "blob_store" not in api and "blob_key" not in api
    page = client.get(f"/images/{image.pk}").get_data(as_text=True)
    assert "Original missing" not in page


def test_zip_streams_originals_from_the_store(
    redis_url: str, r: redis.Redis, store_catalogue: Catalogue
) -> None:
    images = [_save(r, store_catalogue, n) for n in range(3)]
    client = make_app(redis_url, store_catalogue).test_client()
    query = "&".join(f"id={image.pk}" for image in images)
    response = client.get(f"/bulk/zip?{query}")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.testzip() is None
        assert sorted(archive.read(name) for name in archive.namelist()) == sorted(
            jpeg(colour(n)) for n in range(3))


def test_delete_removes_blobs_and_keep_keeps_them(
    r: redis.Redis, store_catalogue: Catalogue
) -> None:
    single, kept, bulk_one, bulk_two = (_save(r, store_catalogue, n) for n in range(4))
    assert store.delete(r, single.pk, store_catalogue)
    assert keep_ids(r, [kept.pk], catalogue=store_catalogue).done == 1
    tally = delete_ids(r, [kept.pk, bulk_one.pk, bulk_two.pk], catalogue=store_catalogue)
    assert (tally.done, tally.kept) == (2, 1)
    left = sorted(r.scan_iter(match=store_catalogue.prefix + "*"))
    assert left == [store_catalogue.key(kept.pk).encode()]
    if store_catalogue.originals is not None:
        blobs = [blob.key for blob in store_catalogue.originals.scan(store_catalogue.prefix)]
        assert blobs == [store_catalogue.key(kept.pk)]
    assert store.load_original(r, store.load(r, kept.pk, store_catalogue),
                               store_catalogue) == jpeg(colour(1))
    removed = sweep(r, store_catalogue.originals, store_catalogue, grace=0) if (
        store_catalogue.originals) else None
    assert removed is None or removed.removed == 0, "a kept picture keeps its blob"


def test_size_retention_removes_the_blobs_of_pruned_pictures(
    r: redis.Redis, store_catalogue: Catalogue
) -> None:
    kept = _save(r, store_catalogue, 0, ttl=None)
    pruned = [_save(r, store_catalogue, n) for n in range(1, 4)]
    run = pruning.prune(r, 1, catalogue=store_catalogue)  # a 1-byte budget: all unkept go
    assert run is not None and sorted(run.ids) == sorted(image.pk for image in pruned)
    assert [key.decode() for key in r.scan_iter(match=store_catalogue.prefix + "*")] == [
        store_catalogue.key(kept.pk)]
    if store_catalogue.originals is not None:
        assert [blob.key for blob in store_catalogue.originals.scan(store_catalogue.prefix)] == [
            store_catalogue.key(kept.pk)]


def test_sweep_removes_blobs_of_expired_pictures_after_the_grace_period(
    r: redis.Redis, store_catalogue: Catalogue
) -> None:
    if store_catalogue.originals is None:
        pytest.skip("originals in Redis expire with their hash: nothing to sweep")
    blobs = store_catalogue.originals
    expiring = [_save(r, store_catalogue, n, ttl=0.3) for n in range(5)]
    staying = _save(r, store_catalogue, 9, ttl=None)
    time.sleep(0.6)
    assert not any(r.exists(store_catalogue.key(image.pk)) for image in expiring)
    young = sweep(r, blobs, store_catalogue, grace=3600)
    assert (young.checked, young.removed) == (6, 0), "within the grace period nothing goes"
    first = sweep(r, blobs, store_catalogue, grace=0, batch=2, max_batches=1)
    assert not first.finished and first.checked == 2
    rest = sweep(r, blobs, store_catalogue, grace=0, batch=2)
    assert rest.finished and rest.checked == 4, "the second run resumes after the first"
    assert first.removed + rest.removed == 5
    assert [blob.key for blob in blobs.scan(store_catalogue.prefix)] == [
        store_catalogue.key(staying.pk)]


def test_migration_there_and_back(
    r: redis.Redis, catalogue: Catalogue, store_catalogue: Catalogue, tmp_path: Path
) -> None:
    """Pictures written to this store move to a folder and back into Redis, intact."""
    images = [_save(r, store_catalogue, n) for n in range(4)]
    kept = images[0]
    keep_ids(r, [kept.pk], catalogue=store_catalogue)
    folder = FileStore(tmp_path / "moved")
    target = store_catalogue.originals if store_catalogue.originals is not None else folder
    if target is store_catalogue.originals:
        report = migrate(r, target, store_catalogue, progress=False)
        assert report.already == 4 and report.moved == 0
        target = folder
    report = migrate(r, target, store_catalogue, progress=False)
    assert report.moved == 4
    for n, image in enumerate(images):
        key = store_catalogue.key(image.pk)
        assert not r.hexists(key, IMAGE_DATA)
        assert r.hget(key, "blob_store").decode() == target.spec
        assert store.load_original(r, store.load(r, image.pk, store_catalogue),
                                   store_catalogue) == jpeg(colour(n))
    assert r.ttl(store_catalogue.key(kept.pk)) == -1
    assert 0 < r.ttl(store_catalogue.key(images[1].pk)) <= 3600
    if store_catalogue.originals is not None:
        assert list(store_catalogue.originals.scan(store_catalogue.prefix)) == [], \
            "the old copies are removed once the new ones are checked"
    back = migrate(r, None, store_catalogue, progress=False)
    assert back.moved == 4
    for n, image in enumerate(images):
        key = store_catalogue.key(image.pk)
        assert r.hget(key, IMAGE_DATA) == jpeg(colour(n))
        assert not r.hexists(key, "blob_store")
    assert list(folder.scan(store_catalogue.prefix)) == []
    assert migrate(r, None, store_catalogue, progress=False).already == 4


def test_timelapse_reads_frames_from_the_store(
    r: redis.Redis, store_catalogue: Catalogue, tmp_path: Path
) -> None:
    from picat.schema.frames import parse_choice
    from picat.schema.query import parse_filters
    from picat.timelapse.encode import Size, VideoFormat
    from picat.timelapse.make import make

    for n in range(3):
        _save(r, store_catalogue, n)
    out = tmp_path / "frames.mp4"
    progress = make(
        r, store_catalogue, parse_filters({}, UTC), parse_choice({}), VideoFormat(size=Size.SOURCE),
        out, planned=3, max_frames=10, max_bytes=2**24, report=lambda _: None,
    )
    assert (progress.done, progress.skipped) == (3, 0)
    assert out.stat().st_size > 0


def test_presigned_redirect_for_s3_when_asked(
    redis_url: str, r: redis.Redis, store_catalogue: Catalogue
) -> None:
    """`IMAGE_STORE_PRESIGN=60`: an S3 original is a redirect the browser follows to the
    bucket; other stores stream as before. The login is checked first either way."""
    import urllib.request

    image = _save(r, store_catalogue, 5)
    client = make_app(redis_url, store_catalogue, IMAGE_STORE_PRESIGN=60).test_client()
    response = client.get(f"/images/{image.pk}/image")
    if not isinstance(store_catalogue.originals, S3Store):
        assert response.status_code == 200 and response.data == jpeg(colour(5))
        return
    assert response.status_code == 307
    assert response.headers["Cache-Control"] == "private, no-store"
    with urllib.request.urlopen(response.headers["Location"], timeout=10) as fetched:
        assert fetched.read() == jpeg(colour(5))
    download = client.get(f"/images/{image.pk}/download")
    assert download.status_code == 307 and "response-content-disposition" in download.headers[
        "Location"]
