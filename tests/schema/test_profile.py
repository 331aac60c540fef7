"""The heat map's cells equal a brute-force count by local date and hour, across DST."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import redis

from picat.schema import Catalogue
from picat.schema.clock import local_time_fields
from picat.schema.profile import profile
from picat.schema.query import Filters

from ..factories import picture

ZONES = [ZoneInfo("Europe/Berlin"), ZoneInfo("America/Los_Angeles"), ZoneInfo("Asia/Tokyo")]
# Berlin's 2026-03-29 has 23 hours; Los Angeles changed on 2026-03-08.
END = datetime(2026, 3, 31, 12, 0, tzinfo=ZoneInfo("UTC")).timestamp()


def test_cells_match_brute_force(r: redis.Redis, catalogue: Catalogue) -> None:
    rng = random.Random(11)
    expected: Counter = Counter()
    luxes: defaultdict = defaultdict(list)
    times: defaultdict = defaultdict(list)
    days = 10
    with r.pipeline(transaction=False) as pipe:
        for i in range(2500):
            zone = ZONES[i % 3]
            moment = rng.uniform(END - 12 * 86400, END)
            lux = rng.choice([None, round(rng.uniform(0, 5000), 1)])
            tod, offset = local_time_fields(moment, zone)
            camera = f"cam{i % 3}"
            image = picture(moment, lux=lux, camera=camera, time_of_day=tod, utc_offset=offset)
            pipe.hset(catalogue.key(image.pk), mapping={**image.to_fields(), "image_data": b"x"})
            if camera != "cam0":
                continue
            local = datetime.fromtimestamp(moment, zone)
            expected[(local.date(), local.hour)] += 1
            times[(local.date(), local.hour)].append(moment)
            if lux is not None:
                luxes[(local.date(), local.hour)].append(lux)
        # A seed-style hash without time_of_day is left out, not counted at midnight.
        pipe.hset(catalogue.key("1774900000"), mapping={"timestamp": "1774900000", "lux": "5"})
        pipe.execute()

    result = profile(r, Filters(camera="cam0"), days=days, now=END, catalogue=catalogue)
    assert len(result.days) == days
    assert result.days[-1] == datetime.fromtimestamp(END, ZONES[0]).date()
    shown = {key: n for key, n in expected.items() if key[0] in result.days}
    assert {key: cell.count for key, cell in result.cells.items()} == shown
    for key, cell in result.cells.items():
        values = luxes.get(key)
        assert cell.mean_lux == (pytest.approx(sum(values) / len(values)) if values else None)
        # MIN and MAX come back with 12 significant digits: 10 ms for today's timestamps.
        assert cell.first == pytest.approx(min(times[key]), abs=0.006)
        assert cell.last == pytest.approx(max(times[key]), abs=0.006)
    assert "LIMIT" in result.commands[0]

    everyone = profile(r, Filters(), days=days, now=END, catalogue=catalogue)
    assert sum(c.count for c in everyone.cells.values()) > 3 * sum(shown.values()) * 0.8
