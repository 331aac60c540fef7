"""Paging walks a benchmark's fleet exactly: the catalogue generator the benchmarks
measure (`bench.dataset.fleet`), with its hard cases, at test size."""

from __future__ import annotations

from collections import Counter
from datetime import UTC

import redis

from bench.dataset import CameraPlan, fleet, save, seed_lux
from picat.schema import Catalogue
from picat.schema.query import Sort, parse_filters

from .conftest import Shot
from .walk import expected, walk

END = 1_780_000_000.0
STOPPED = 6 * 3600
PLANS = (
    CameraPlan("garden", 900.0, 0.5, burst_frames=(3, 9), burst_gap=0.0),
    CameraPlan("feeder", 1200.0, 0.0),
    CameraPlan("door", 1800.0, 0.0, stopped=STOPPED),
)


def test_every_view_of_a_fleet_with_bursts_and_dark_nights_pages_in_order(
    r: redis.Redis, catalogue: Catalogue
) -> None:
    images = list(fleet(240, END, 5, PLANS, seed_lux))
    assert save(r, catalogue, images) == 240
    shots = [Shot(i.pk, i.timestamp, i.lux, i.camera, i.time_of_day) for i in images]
    # The hard cases are there: bursts on one timestamp, a crowd at lux 0, a stopped camera.
    assert max(Counter(shot.timestamp for shot in shots).values()) >= 3
    assert sum(shot.lux == 0 for shot in shots) >= 20
    assert max(s.timestamp for s in shots if s.camera == "door") <= END - STOPPED
    for params in ({}, {"camera": "door"}, {"lux_min": "1"}, {"lux_max": "0"}):
        filters = parse_filters(params, UTC)
        for sort in Sort:
            ids, _ = walk(r, catalogue, filters, sort, 13)
            assert ids == expected(shots, filters, sort), (params, sort)
