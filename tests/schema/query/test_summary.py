"""The writers' summary sizes windows; when it is stale, missing or wrong, pages stay exact."""

from __future__ import annotations

import random
from datetime import UTC

import pytest
import redis

from picat.schema import Catalogue, summary
from picat.schema.query import Sort, paging, parse_filters, search

from .conftest import Camera
from .walk import expected, walk

BASE = 1_780_000_000.0


def _summary(r: redis.Redis, catalogue: Catalogue) -> dict[bytes, bytes]:
    return r.hgetall(f"{catalogue.index}:summary:count")


def test_writers_keep_the_summary_and_a_rebuild_from_the_index_agrees(
    r: redis.Redis, catalogue: Catalogue, camera: Camera
) -> None:
    camera.shoot(BASE, lux=0.0, camera="garden")
    camera.shoot(BASE + 10, lux=0.0, camera="garden")
    camera.shoot(BASE + 7200, lux=1234.5, camera="door")
    camera.shoot(BASE + 7201, lux=None, camera="door")
    hour, lux_band = int(BASE // 3600), summary.bucket(summary.LUX, 1234.5)
    kept = _summary(r, catalogue)
    assert kept[f"t::{hour}".encode()] == b"2" and kept[f"t:garden:{hour}".encode()] == b"2"
    assert kept[b"l:garden:0"] == b"2" and kept[f"l:door:{lux_band}".encode()] == b"1"
    assert kept[f"n:door:{hour + 2}".encode()] == b"1"
    base = f"{catalogue.index}:summary:"
    assert r.zscore(base + "brightest", f"t:door:{hour + 2}") == 1234.5
    assert r.zscore(base + "darkest", f"t::{hour + 2}") == 1234.5
    assert r.zscore(base + "darkest", f"t::{hour}") == 0.0
    assert summary.rebuild(r, catalogue) == 4
    assert _summary(r, catalogue) == kept


def test_bands_order_the_values_they_hold() -> None:
    values = [-5000.0, -1000.0, -999.95, -0.05, 0.0, 0.15, 0.2, 2.3, 999.9, 1000.0, 1e5]
    numbers = [summary.bucket(summary.LUX, v) for v in values]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    for value, number in zip(values, numbers, strict=True):
        lo, hi = summary.bounds(summary.LUX, number)
        assert lo - 1e-9 <= value <= hi + 1e-9, (value, lo, hi)
    assert summary.single_value(summary.LUX, summary.bucket(summary.LUX, 2.3)) == 2.3


def test_pages_stay_exact_whatever_the_summary_says(
    r: redis.Redis, catalogue: Catalogue, camera: Camera, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleted and expired pictures leave counts behind, seed-format writers add none,
    and a wiped or wildly wrong summary is just as harmless: only the cost changes."""
    monkeypatch.setattr(paging, "CROWD", 6)
    rng = random.Random(7)
    shots = [camera.shoot(BASE + rng.uniform(0, 3 * 86400), lux=rng.choice([0.0, 0.0, 3.0, 800.0]),
                          camera=rng.choice(["a", "b"])) for _ in range(150)]
    for shot in shots[:40]:  # deleted behind the summary's back
        r.delete(catalogue.key(shot.id))
    shots = shots[40:]
    shots += [camera.seed_format(int(BASE) - 86400 * 400 - i * 7, i % 3) for i in range(30)]
    shots += [camera.seed_format(int(BASE) + 86400 * 30 + i * 7, 5) for i in range(20)]
    views = [{}, {"camera": "a"}, {"lux_min": "1"}, {"from": str(BASE), "to": str(BASE + 86400)}]

    def check() -> None:
        for params in views:
            filters = parse_filters(params, UTC)
            for sort in Sort:
                got = walk(r, catalogue, filters, sort, 7)[0]
                assert got == expected(shots, filters, sort), (params, sort)

    check()
    key = f"{catalogue.index}:summary:count"
    for field in list(r.hkeys(key)):  # wildly wrong: every count a thousand times too big
        r.hset(key, field, int(r.hget(key, field)) * 1000)
    check()
    r.zadd(f"{catalogue.index}:summary:until", {f: 1.0 for f in r.hkeys(key)})  # all "expired"
    check()
    for stale in r.scan_iter(match=summary.key_pattern(catalogue)):
        r.delete(stale)
    check()


@pytest.mark.parametrize("shift", [0, 2700, 21600])
def test_a_lux_page_sends_two_commands(
    r: redis.Redis, catalogue: Catalogue, camera: Camera, monkeypatch: pytest.MonkeyPatch,
    shift: int,
) -> None:
    """Wherever the hours fall against day and night (a lit hour holding one dark
    picture once made a window come up short), in lux ranges too, crowds included,
    first pages included; the order is exact."""
    monkeypatch.setattr(paging, "CROWD", 20)
    shots = []
    for i in range(400):  # nights at lux 0 (a crowd), days in integer lux
        at = BASE + shift - i * 300
        shots.append(camera.shoot(at, lux=0.0 if (at // 21600) % 2 else float(i % 97)))
    for params in ({}, {"lux_max": "50"}):
        filters = parse_filters(params, UTC)
        for sort in (Sort.BRIGHTEST, Sort.DARKEST):
            cursor, sent, shown = None, [], []
            for _ in range(12):
                page = search(r, filters, sort, 24, cursor, catalogue=catalogue)
                sent.append(page.sent)
                shown += [image.pk for image in page.images]
                cursor = page.next_cursor
            assert set(sent) == {2}, (params, sort, sent)  # a walk, then one chain of boxes
            assert page.commands[0][0] == "FCALL_RO"
            assert shown == expected(shots, filters, sort)[:len(shown)]
