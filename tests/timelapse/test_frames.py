"""Frame choice: every picture, one per interval, one per day closest to a time of day."""

from __future__ import annotations

import random

import pytest

from picat.schema.frames import Choice, Pick, count_frames, frames, parse_choice
from picat.schema.query import Filters, QueryError

DAY = 86400
START = 1_760_000_000 - 1_760_000_000 % DAY  # a UTC midnight; the pictures are UTC (offset 0)


def test_one_per_day_closest_to_noon_over_30_days(r, catalogue, save_pictures):
    times, tods, codes, nearest = [], [], [], []
    rng = random.Random(15)
    for day in range(30):
        # Six pictures a day at random times; the one nearest noon is what must come out.
        day_tods = sorted(rng.sample(range(0, DAY, 60), 6))
        best = min(day_tods, key=lambda t: abs(t - 12 * 3600))
        for tod in day_tods:
            times.append(START + day * DAY + tod)
            tods.append(tod)
            codes.append(0)
            if tod == best:
                nearest.append(START + day * DAY + tod)
    order = list(range(len(times)))
    rng.shuffle(order)  # written out of order: the index, not the writes, gives the order
    save_pictures([times[i] for i in order], [0] * len(order),
                  time_of_day=[tods[i] for i in order])
    save_pictures([START + 5 * DAY + 12 * 3600], [0])  # no time of day (a seed hash): no day

    choice = parse_choice({"pick": "daily", "at": "12:00"})
    assert choice == Choice(Pick.DAILY, 12 * 3600)
    chosen = list(frames(r, Filters(), choice, catalogue=catalogue))
    assert [image.timestamp for image in chosen] == nearest
    assert count_frames(r, Filters(), choice, stop_after=100, catalogue=catalogue) == 30
    assert count_frames(r, Filters(), choice, stop_after=10, catalogue=catalogue) == 11


def test_interval_keeps_gaps_and_every_keeps_all(r, catalogue, save_pictures):
    times = [START + 60 * i for i in range(50)]  # one a minute
    save_pictures(times, [0] * 50)
    ten = list(frames(r, Filters(), parse_choice({"pick": "interval", "interval": "10m"}),
                      catalogue=catalogue))
    assert [image.timestamp for image in ten] == times[::10]
    assert count_frames(r, Filters(), Choice(), stop_after=1000, catalogue=catalogue) == 50
    narrowed = Filters(start=times[5], end=times[24])
    assert count_frames(r, narrowed, Choice(Pick.INTERVAL, 600), stop_after=99,
                        catalogue=catalogue) == 2


@pytest.mark.parametrize(("params", "field"), [
    ({"pick": "hourly"}, "pick"),
    ({"pick": "interval", "interval": "0m"}, "interval"),
    ({"pick": "interval", "interval": "ten minutes"}, "interval"),
    ({"pick": "daily", "at": "25:00"}, "at"),
    ({"pick": "daily"}, "at"),
])
def test_bad_choices_name_their_field(params, field):
    with pytest.raises(QueryError) as caught:
        parse_choice(params)
    assert caught.value.field == field


def test_thinning_more_than_the_limit_is_refused(r, catalogue, save_pictures, monkeypatch):
    from picat.schema import frames as module

    save_pictures([START + 60 * i for i in range(6)], [0] * 6,
                  time_of_day=[60 * i for i in range(6)])
    monkeypatch.setattr(module, "MAX_THINNED", 5)
    assert count_frames(r, Filters(), Choice(), stop_after=99, catalogue=catalogue) == 6
    with pytest.raises(QueryError, match="6 pictures match"):
        count_frames(r, Filters(), Choice(Pick.INTERVAL, 60), stop_after=99,
                     catalogue=catalogue)
    # The daily choice is aggregated by Redis and reads no rows: no such limit.
    assert count_frames(r, Filters(), Choice(Pick.DAILY, 0), stop_after=99,
                        catalogue=catalogue) == 1
