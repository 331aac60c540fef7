"""Hashes under the prefix that are not pictures, or not quite: they never break a page."""

from __future__ import annotations

import redis

from picat.schema import Catalogue, new_image_id
from picat.schema.query import Filters, Sort, search
from picat.schema.store import load

from .conftest import Camera, Shot
from .walk import expected, walk

BASE = 1_780_000_000.0


def _junk(r: redis.Redis, catalogue: Catalogue, name: str, **fields: float) -> None:
    r.hset(catalogue.prefix + name, mapping={k: repr(v) for k, v in fields.items()})


def test_paging_steps_past_keys_that_are_not_image_ids_in_every_sort(
    r: redis.Redis, catalogue: Catalogue, camera: Camera
) -> None:
    shots = [camera.shoot(BASE + i * 10, lux=float(i % 4)) for i in range(40)]
    shots += [camera.shoot(BASE + 200, lux=2.0) for _ in range(8)]
    for n in range(14):  # a run longer than a page, in the middle, tied with pictures
        _junk(r, catalogue, f"junk-{n:02d}", timestamp=BASE + 200, lux=2.0)
    for n in range(6):
        _junk(r, catalogue, f"{int(BASE) * 1000 + n}", timestamp=BASE + 95 + n, lux=1.0)
    _junk(r, catalogue, "foo", timestamp=BASE + 305)
    _junk(r, catalogue, "lux-only", lux=3.0)
    for sort in Sort:
        for limit in (1, 5, 24):
            ids, pages = walk(r, catalogue, Filters(), sort, limit)
            assert ids == expected(shots, Filters(), sort), (sort, limit)
            assert all(len(page.images) == limit for page in pages[:-1]), (sort, limit)


def test_a_page_of_nothing_but_junk_is_stepped_past(
    r: redis.Redis, catalogue: Catalogue, camera: Camera
) -> None:
    for n in range(30):
        _junk(r, catalogue, f"junk-{n:02d}", timestamp=BASE + n, lux=1.0)
    shot = camera.shoot(BASE - 5, lux=1.0)
    for sort in Sort:
        page = search(r, Filters(), sort, 3, None, catalogue=catalogue)
        assert [image.pk for image in page.images] == [shot.id]
        assert page.next_cursor is None


def test_invalid_fields_read_as_none_and_a_missing_timestamp_comes_from_the_id(
    r: redis.Redis, catalogue: Catalogue, camera: Camera
) -> None:
    odd_camera, odd_trigger = new_image_id(BASE + 1), new_image_id(BASE + 2)
    r.hset(catalogue.key(odd_camera), mapping={"timestamp": BASE + 1, "camera": "cam a"})
    r.hset(catalogue.key(odd_trigger), mapping={"timestamp": BASE + 2, "trigger": "laser"})
    r.hset(catalogue.key(str(int(BASE) + 3)), mapping={"lux": "7"})
    shots = [
        camera.shoot(BASE, lux=1.0),
        Shot(odd_camera, BASE + 1, None, None, None),
        Shot(odd_trigger, BASE + 2, None, None, None),
    ]
    for sort in (Sort.NEWEST, Sort.OLDEST):
        assert walk(r, catalogue, Filters(), sort, 2)[0] == expected(shots, Filters(), sort)
    # Without a timestamp a hash has no place in a time order, nor so in a lux order
    # (RediSearch sorts missing values last either way); it is still read by id.
    ids, _ = walk(r, catalogue, Filters(), Sort.BRIGHTEST, 2)
    assert ids == expected(shots, Filters(), Sort.BRIGHTEST)
    seed = load(r, str(int(BASE) + 3), catalogue)
    assert seed is not None and seed.timestamp == BASE + 3 and seed.lux == 7.0
    image = load(r, odd_camera, catalogue)
    assert image is not None and image.camera is None
    image = load(r, odd_trigger, catalogue)
    assert image is not None and image.trigger is None
