"""An open range starts at the first picture even when Redis rounds its time."""

from __future__ import annotations

from datetime import UTC

import redis

from picat.schema import Catalogue
from picat.schema.query import Filters
from picat.schema.timeline import timeline

from ..factories import picture

HOUR = 1_790_002_800.0  # a whole hour, UTC


def test_first_picture_a_few_ms_before_a_bucket_boundary_is_counted(
    r: redis.Redis, catalogue: Catalogue
) -> None:
    # MIN/MAX come back with 12 significant digits: HOUR - 0.003 reads as HOUR.
    for moment in (HOUR - 0.003, HOUR + 1800, HOUR + 5400.004):
        image = picture(moment, lux=1.0)
        r.hset(catalogue.key(image.pk), mapping={**image.to_fields(), "image_data": b"x"})
    result = timeline(r, Filters(), UTC, unit="hour", catalogue=catalogue)
    assert result.total == 3
    assert result.buckets[0].start == HOUR - 3600
