"""The timeline's counts and mean lux equal a brute-force count over the same pictures."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import redis

from picat.schema import Catalogue
from picat.schema.clock import local_time_fields
from picat.schema.query import Filters, QueryError
from picat.schema.timeline import _floor, choose_unit, timeline

from ..factories import picture

BERLIN = ZoneInfo("Europe/Berlin")
# 2026-03-29 02:00 CET jumps to 03:00 CEST: that local day has 23 hours.
DST_START = datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN).timestamp()


def _write(r: redis.Redis, catalogue: Catalogue, moments: list[float], seed: int) -> dict:
    rng = random.Random(seed)
    lux = {}
    with r.pipeline(transaction=False) as pipe:
        for moment in moments:
            value = rng.choice([None, round(rng.uniform(0, 2000), 2)])
            tod, offset = local_time_fields(moment, BERLIN)
            image = picture(
                moment, lux=value, camera=rng.choice(["garden", "feeder"]), time_of_day=tod,
                utc_offset=offset,
            )
            pipe.hset(catalogue.key(image.pk), mapping={**image.to_fields(), "image_data": b"x"})
            lux[image.pk] = (moment, value, image.camera)
        pipe.execute()
    return lux


def _brute(pictures: dict, unit: str, lo: float, hi: float, camera: str | None = None):
    counts: Counter = Counter()
    sums: defaultdict = defaultdict(list)
    for moment, value, cam in pictures.values():
        if not lo <= moment <= hi or (camera and cam != camera):
            continue
        start = _floor(moment, unit, BERLIN).timestamp()
        counts[start] += 1
        if value is not None:
            sums[start].append(value)
    return counts, {k: sum(v) / len(v) for k, v in sums.items()}


@pytest.mark.parametrize("unit", ["minute", "hour", "day", "week"])
def test_counts_and_mean_lux_match_brute_force_across_dst(
    r: redis.Redis, catalogue: Catalogue, unit: str
) -> None:
    rng = random.Random(7)
    spans = {"minute": 3 * 3600, "hour": 4 * 86400, "day": 40 * 86400, "week": 200 * 86400}
    lo = DST_START - spans[unit] / 2
    hi = DST_START + spans[unit] / 2
    moments = [rng.uniform(lo - 86400, hi + 86400) for _ in range(1500)]
    moments += [DST_START - 1, DST_START, DST_START + 0.5]
    pictures = _write(r, catalogue, moments, seed=3)

    result = timeline(r, Filters(start=lo, end=hi), BERLIN, unit=unit, catalogue=catalogue)
    counts, means = _brute(pictures, unit, lo, hi)

    assert result.unit == unit
    assert len(result.buckets) > 10
    assert result.total == sum(counts.values())
    for bucket in result.buckets:
        assert bucket.count == counts.get(bucket.start, 0), datetime.fromtimestamp(bucket.start)
        if bucket.start in means:
            assert bucket.mean_lux == pytest.approx(means[bucket.start])
        else:
            assert bucket.mean_lux is None
    if unit == "day":
        lengths = {b.end - b.start for b in result.buckets}
        assert lengths == {86400.0, 23 * 3600.0}


def test_filters_apply_and_open_ranges_use_the_data(r: redis.Redis, catalogue: Catalogue) -> None:
    base = datetime(2026, 6, 1, tzinfo=BERLIN).timestamp()
    pictures = _write(r, catalogue, [base + i * 3600 for i in range(24 * 30)], seed=5)
    result = timeline(r, Filters(camera="garden"), BERLIN, catalogue=catalogue)
    counts, _ = _brute(pictures, result.unit, base, base + 24 * 30 * 3600, camera="garden")
    assert result.unit == "day" and len(result.buckets) == 30
    assert [b.count for b in result.buckets] == [counts.get(b.start, 0) for b in result.buckets]
    assert "FT.AGGREGATE" in result.commands[-1] and "LIMIT" in result.commands[-1]


def test_empty_catalogue_and_too_many_bars(r: redis.Redis, catalogue: Catalogue) -> None:
    assert timeline(r, Filters(), BERLIN, catalogue=catalogue).buckets == []
    with pytest.raises(QueryError):
        timeline(r, Filters(start=0, end=86400 * 30), BERLIN, unit="minute", catalogue=catalogue)


def test_unit_follows_the_span() -> None:
    assert [choose_unit(s) for s in (3600, 86400, 30 * 86400, 365 * 86400)] == [
        "minute",
        "hour",
        "day",
        "week",
    ]
