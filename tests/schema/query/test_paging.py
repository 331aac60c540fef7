"""Keyset paging against a real RediSearch: every picture exactly once, in order."""

from __future__ import annotations

import random
from datetime import UTC

import pytest
import redis

from picat.schema import Catalogue, new_image_id
from picat.schema.query import Filters, Sort, paging, parse_filters, search

from .conftest import Camera
from .walk import expected, walk

BASE = 1_780_000_000.0


def test_500_pictures_100_sharing_one_timestamp(
    r: redis.Redis, catalogue: Catalogue, camera: Camera
) -> None:
    shots = [camera.shoot(BASE + i * 7.25) for i in range(400)]
    shots += [camera.shoot(BASE + 1000.5) for _ in range(100)]
    for sort in (Sort.NEWEST, Sort.OLDEST):
        for limit in (24, 7, 100):
            ids, pages = walk(r, catalogue, Filters(), sort, limit)
            assert ids == expected(shots, Filters(), sort), (sort, limit)
            assert all(len(page.images) == limit for page in pages[:-1])


def test_many_sharing_one_integer_lux_and_pictures_without_lux(
    r: redis.Redis, catalogue: Catalogue, camera: Camera
) -> None:
    shots = [camera.shoot(BASE + i, lux=float(i % 3)) for i in range(150)]
    shots += [camera.shoot(BASE + 77, lux=0.0) for _ in range(40)]
    shots += [camera.shoot(BASE + i * 3, lux=None) for i in range(30)]
    for sort in Sort:
        ids, _ = walk(r, catalogue, Filters(), sort, 9)
        assert ids == expected(shots, Filters(), sort), sort


def test_every_filter_and_sort_and_their_combinations(
    r: redis.Redis, catalogue: Catalogue, camera: Camera
) -> None:
    rng = random.Random(4)
    shots = []
    for _ in range(300):
        at = BASE + rng.choice([rng.uniform(0, 4 * 86400), rng.randrange(0, 4 * 86400, 3600)])
        lux = rng.choice([None, 0.0, 0.0, 5.0, rng.uniform(0, 3000)])
        shots.append(camera.shoot(at, lux=lux, camera=rng.choice(["cam-a", "cam.b", "Cam-A"])))
    shots.append(camera.seed_format(int(BASE + 5000), 3))
    views = [
        {},
        {"from": str(BASE + 86400), "to": str(BASE + 2 * 86400)},
        {"lux_min": "1", "lux_max": "2000"},
        {"lux_min": "-1.5", "lux_max": "0.00001"},
        {"lux_max": "0"},
        {"camera": "cam-a"},
        {"camera": "Cam-A"},
        {"tod_from": "06:00", "tod_to": "08:00"},
        {"tod_from": "22:00", "tod_to": "02:00"},
        {"tod_from": "20:00"},
        {"camera": "cam.b", "lux_min": "0", "tod_from": "12:00", "tod_to": "03:00",
         "from": str(BASE + 3600)},
    ]
    for params in views:
        filters = parse_filters(params, UTC)
        for sort in Sort:
            ids, _ = walk(r, catalogue, filters, sort, 11)
            assert ids == expected(shots, filters, sort), (params, sort)


def test_seed_hashes_show_in_unfiltered_time_and_lux_views(
    r: redis.Redis, catalogue: Catalogue, camera: Camera
) -> None:
    seed = camera.seed_format(1681843615, 120)
    camera.shoot(BASE)
    for params in ({}, {"from": "1681843600", "to": "1681843700"}, {"lux_min": "100"}):
        ids, _ = walk(r, catalogue, parse_filters(params, UTC), Sort.NEWEST, 24)
        assert seed.id in ids, params


def test_new_pictures_above_the_cursor_do_not_shift_later_pages(
    r: redis.Redis, catalogue: Catalogue, camera: Camera
) -> None:
    shots = [camera.shoot(BASE + (i // 5)) for i in range(120)]
    order = expected(shots, Filters(), Sort.NEWEST)
    first = search(r, Filters(), Sort.NEWEST, 23, None, catalogue=catalogue)
    for i in range(30):
        camera.shoot(BASE + 1000 + i)
    rest, cursor = [], first.next_cursor
    while cursor:
        page = search(r, Filters(), Sort.NEWEST, 23, cursor, catalogue=catalogue)
        rest += [image.pk for image in page.images]
        cursor = page.next_cursor
    assert [image.pk for image in first.images] + rest == order


def test_paging_works_past_10000_results(
    r: redis.Redis, catalogue: Catalogue
) -> None:
    made = []
    with r.pipeline(transaction=False) as pipe:
        for i in range(10_050):
            at = 1_700_000_000 + i // 3
            made.append(new_image_id(at))
            pipe.hset(catalogue.key(made[-1]), mapping={"timestamp": str(at), "lux": "1"})
        pipe.execute()
    ids, _ = walk(r, catalogue, Filters(), Sort.OLDEST, 100)
    assert ids == sorted(made)


def test_a_crowd_on_one_lux_value_is_paged_by_time(
    r: redis.Redis, catalogue: Catalogue, camera: Camera, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the crowd threshold lowered, small data take the path half a million
    pictures at lux 0 take in production."""
    monkeypatch.setattr(paging, "CROWD", 5)
    shots = [camera.shoot(BASE + i, lux=0.0) for i in range(60)]
    shots += [camera.shoot(BASE + i, lux=float(1 + i % 40) / 8) for i in range(80)]
    shots += [camera.shoot(BASE + 5 * i, lux=500.0) for i in range(30)]
    for sort in (Sort.DARKEST, Sort.BRIGHTEST):
        ids, pages = walk(r, catalogue, Filters(), sort, 10)
        assert ids == expected(shots, Filters(), sort), sort
        queries = [argv[2] for page in pages for argv in page.commands
                   if argv[0] == "FT.AGGREGATE"]
        for crowd in ("@lux:[0 0]", "@lux:[500 500]"):  # boxed by time inside the value
            assert any(crowd in q and "@timestamp:[" in q for q in queries), (sort, crowd)


def test_a_remembered_start_never_hides_older_or_brighter_pictures(
    r: redis.Redis, catalogue: Catalogue, camera: Camera
) -> None:
    shots = [camera.shoot(BASE + i * 60, lux=float(i)) for i in range(30)]
    for sort in (Sort.OLDEST, Sort.BRIGHTEST):
        assert walk(r, catalogue, Filters(), sort, 10)[0] == expected(shots, Filters(), sort)
    shots.append(camera.shoot(BASE - 86400, lux=1000.0))  # an import of an old, bright photo
    r.delete(catalogue.key(shots[0].id))
    del shots[0]
    for sort in (Sort.OLDEST, Sort.BRIGHTEST, Sort.DARKEST):
        assert walk(r, catalogue, Filters(), sort, 10)[0] == expected(shots, Filters(), sort)


@pytest.mark.parametrize("seed", range(3))
def test_ties_of_every_kind_stay_exact(
    r: redis.Redis, catalogue: Catalogue, camera: Camera, monkeypatch: pytest.MonkeyPatch,
    seed: int,
) -> None:
    """Few timestamps and lux values, so windows end in ties, pages start inside them,
    and ties are too big to read whole (CROWD lowered), crowds or not."""
    rng = random.Random(seed)
    monkeypatch.setattr(paging, "CROWD", (3, 5, 10)[seed])
    shots = []
    for _ in range(120):
        at = BASE + rng.choice([0, 1, 2]) * 7200 + rng.randrange(3) * rng.choice([1, 600, 1800])
        lux = rng.choice([None, 0.0, 0.0, 1.0, 2.0, 2.0, 5.5, 1500.0])
        shots.append(camera.shoot(at, lux=lux, camera=rng.choice(["a", "b"])))
    for params in ({}, {"lux_min": "1"}, {"camera": "a"}, {"from": str(BASE + 1)}):
        filters = parse_filters(params, UTC)
        for sort in Sort:
            for limit in (1, 7):
                got = walk(r, catalogue, filters, sort, limit)[0]
                assert got == expected(shots, filters, sort), (params, sort, limit)
