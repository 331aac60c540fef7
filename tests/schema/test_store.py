"""The hash contract against a real Redis: writes with TTL, seed hashes, curation."""

from __future__ import annotations

import time

import redis

from picat.schema import Catalogue, store

from ..factories import picture, save_seed_picture


def test_save_writes_image_thumbnail_metadata_and_ttl_together(
    r: redis.Redis, catalogue: Catalogue
) -> None:
    image = picture(
        lux=812.5, camera="pi-1", trigger="interval", width=64, height=48,
        expires_at=time.time() + 3600,
    )
    jpeg = b"\xff\xd8" + bytes(range(256)) * 4 + b"\xff\xd9"
    store.save(r, image, jpeg, b"\xff\xd8thumb", catalogue)
    key = catalogue.key(image.pk)
    assert 3590 < r.ttl(key) <= 3600
    assert store.load_blob(r, image.pk, "image_data", catalogue) == jpeg
    loaded = store.load(r, image.pk, catalogue)
    assert loaded is not None
    assert (loaded.lux, loaded.camera, loaded.trigger, loaded.width) == (
        812.5,
        "pi-1",
        "interval",
        64,
    )
    assert loaded.timestamp == image.timestamp


def test_save_without_expiry_keeps_forever(r: redis.Redis, catalogue: Catalogue) -> None:
    image = picture(lux=1.0)
    store.save(r, image, b"\xff\xd8", None, catalogue)
    assert r.ttl(catalogue.key(image.pk)) == -1


def test_seed_hashes_are_readable(r: redis.Redis, catalogue: Catalogue) -> None:
    save_seed_picture(r, catalogue, 1681843615, lux=268, data=b"\xff\xd8\xff\xe0JFIF\x00\x80\x81")
    key = catalogue.key("1681843615")
    loaded = store.load(r, "1681843615", catalogue)
    assert loaded is not None
    assert (loaded.pk, loaded.timestamp, loaded.lux, loaded.camera) == (
        "1681843615",
        1681843615.0,
        268.0,
        None,
    )
    assert store.load_blob(r, "1681843615", "thumbnail", catalogue) is None
    assert store.store_thumbnail(r, "1681843615", b"\xff\xd8small", catalogue)
    assert store.load_blob(r, "1681843615", "thumbnail", catalogue) == b"\xff\xd8small"
    found = r.execute_command(
        "FT.SEARCH", catalogue.index, "@timestamp:[1681843615 1681843615]", "NOCONTENT"
    )
    assert found == [1, key.encode()]


def test_thumbnail_is_never_written_to_a_missing_picture(
    r: redis.Redis, catalogue: Catalogue
) -> None:
    assert not store.store_thumbnail(r, "1681843616", b"\xff\xd8", catalogue)
    assert not r.exists(catalogue.key("1681843616"))


def test_keep_removes_ttl_and_delete_removes_hash(r: redis.Redis, catalogue: Catalogue) -> None:
    image = picture(expires_at=time.time() + 600)
    store.save(r, image, b"\xff\xd8", None, catalogue)
    assert store.keep(r, image.pk, catalogue)
    assert r.ttl(catalogue.key(image.pk)) == -1
    assert store.load(r, image.pk, catalogue).expires_at is None
    assert store.delete(r, image.pk, catalogue)
    assert store.load(r, image.pk, catalogue) is None
    assert not store.keep(r, image.pk, catalogue)
    assert not r.exists(catalogue.key(image.pk))


def test_load_many_skips_missing(r: redis.Redis, catalogue: Catalogue) -> None:
    images = [picture(lux=float(i)) for i in range(3)]
    for image in images:
        store.save(r, image, b"\xff\xd8", None, catalogue)
    store.delete(r, images[1].pk, catalogue)
    found = store.load_many(r, [i.pk for i in images], catalogue)
    assert [i.pk for i in found] == [images[0].pk, images[2].pk]


def test_expiry_comes_from_the_key_ttl(r: redis.Redis, catalogue: Catalogue) -> None:
    seed = catalogue.prefix + "1681843700"
    r.hset(seed, mapping={"image_data": b"\xff\xd8", "timestamp": "1681843700", "lux": "5"})
    r.expire(seed, 3600)
    loaded = store.load(r, "1681843700", catalogue)
    assert loaded is not None and loaded.expires_at is not None
    assert 3590 < loaded.expires_at - time.time() <= 3600

    image = picture(expires_at=time.time() + 600)
    store.save(r, image, b"\xff\xd8", None, catalogue)
    assert store.load(r, image.pk, catalogue).expires_at == image.expires_at
    r.persist(catalogue.key(image.pk))
    assert store.load_many(r, [image.pk], catalogue)[0].expires_at is None


def test_reads_load_the_read_functions_when_missing(r: redis.Redis, catalogue: Catalogue) -> None:
    """A user allowed FUNCTION LOAD (the embedded server's, admin) heals a server that
    lost the library or has an older one; test_acl checks that web is told instead."""
    image = picture(lux=3.0)
    store.save(r, image, b"\xff\xd8", None, catalogue)
    r.function_delete("picat")
    assert [found.pk for found in store.load_many(r, [image.pk], catalogue)] == [image.pk]
    assert [entry[1] for entry in r.function_list("picat")] == [b"picat"]
