"""Day and week bars in a zone whose midnight is not on a UTC hour, over long ranges."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import redis

from picat.schema import Catalogue
from picat.schema.query import Filters
from picat.schema.timeline import _floor, timeline

from ..factories import picture

KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+05:30: local midnight is 18:30 UTC
START = datetime(2024, 1, 1, tzinfo=KOLKATA).timestamp()


@pytest.mark.parametrize(("unit", "days"), [("day", 390), ("week", 2700)])
def test_bars_count_exactly_their_local_days_in_a_half_hour_zone(
    r: redis.Redis, catalogue: Catalogue, unit: str, days: int
) -> None:
    rng = random.Random(13)
    end = START + days * 86400 - 1
    midnights = [START + 86400 * rng.randrange(days) for _ in range(400)]
    moments = [m + rng.uniform(-1200, 1200) for m in midnights]  # 20 min either side
    moments = [m for m in moments if START <= m <= end]
    with r.pipeline(transaction=False) as pipe:
        for moment in moments:
            image = picture(moment, lux=1.0)
            pipe.hset(catalogue.key(image.pk), mapping={**image.to_fields(), "image_data": b"x"})
        pipe.execute()
    result = timeline(r, Filters(start=START, end=end), KOLKATA, unit=unit, catalogue=catalogue)
    expected = Counter(_floor(moment, unit, KOLKATA).timestamp() for moment in moments)
    assert result.total == len(moments)
    assert {b.start: b.count for b in result.buckets if b.count} == dict(expected)
