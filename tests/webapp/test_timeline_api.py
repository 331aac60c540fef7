"""`/api/timeline`, `/timeline` and `/profile`: counts and mean lux equal a brute-force count."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from picat.schema.timeline import _floor

from ..factories import BASE_TIME

HX = {"HX-Request": "true"}  # the charts are fragments: htmx asks for them

BERLIN = ZoneInfo("Europe/Berlin")
# Berlin leaves summer time on 2026-10-25: 03:00 CEST becomes 02:00 CET, a 25-hour day.
DST_END = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN).timestamp()


@pytest.fixture
def pictures(add_picture):
    """1,200 pictures around the change, some without lux; (timestamp, lux) by id."""
    rng = random.Random(5)
    made = {}
    for _ in range(1200):
        moment = DST_END + rng.uniform(-6 * 86400, 6 * 86400)
        lux = rng.choice([None, round(rng.uniform(0, 3000), 1)])
        image = add_picture(moment - BASE_TIME, lux=lux, thumbnail=False, data=b"x")
        made[image.pk] = (moment, lux)
    return made


@pytest.mark.parametrize(
    ("bucket", "span"), [("hour", 2 * 86400), ("day", 10 * 86400), ("minute", 3 * 3600)]
)
def test_api_counts_and_means_match_brute_force(client, pictures, bucket, span):
    start, end = DST_END - span / 2, DST_END + span / 2
    body = client.get(
        "/api/timeline",
        query_string={"from": f"{start:.3f}", "to": f"{end:.3f}", "tz": "Europe/Berlin",
                      "bucket": bucket},
    ).get_json()
    counts: Counter = Counter()
    luxes: defaultdict = defaultdict(list)
    for moment, lux in pictures.values():
        if start <= moment <= end:
            key = _floor(moment, bucket, BERLIN).timestamp()
            counts[key] += 1
            if lux is not None:
                luxes[key].append(lux)
    assert body["unit"] == bucket and body["tz"] == "Europe/Berlin"
    assert len(body["buckets"]) > 10  # more rows than FT.AGGREGATE's default of 10
    assert body["total"] == sum(counts.values())
    for row in body["buckets"]:
        assert row["count"] == counts.get(row["start"], 0), row["from"]
        values = luxes.get(row["start"])
        assert row["mean_lux"] == (pytest.approx(sum(values) / len(values)) if values else None)
    if bucket == "day":
        lengths = {row["end"] - row["start"] for row in body["buckets"]}
        assert 25 * 3600 in lengths
    assert "FT.AGGREGATE" in body["query"] and "LIMIT" in body["query"]


def test_api_auto_bucket_and_errors(client, add_picture):
    for i in range(30):
        add_picture(i * 3600)
    body = client.get("/api/timeline").get_json()
    assert body["unit"] == "hour" and body["total"] == 30
    for query, word in (("bucket=fortnight", "bucket"), ("lux_min=x", "number"),
                        ("bucket=minute&from=0&to=100000000", "bars")):
        response = client.get(f"/api/timeline?{query}")
        assert response.status_code == 400
        assert word in response.get_json()["error"]


def test_timeline_fragment_draws_bars_that_link_to_their_range(client, add_picture):
    for i in range(12):
        add_picture(i * 3600, lux=10.0 * i)
    html = client.get("/timeline?tz=Asia/Tokyo", headers=HX).get_data(as_text=True)
    bars = re.findall(r'<a class="bar[^"]*" href="([^"]+)" data-filters="([^"]+)"', html)
    assert len(bars) >= 12
    href, filters = (value.replace("&amp;", "&") for value in bars[0])
    assert "tz=Asia%2FTokyo" in href and href.startswith("/?")
    assert re.fullmatch(r"from=\d{4}-\d\d-\d\dT\d\d%3A00&to=\d{4}-\d\d-\d\dT\d\d%3A59%3A59.999",
                        filters)
    assert '<polyline class="lux"' in html
    assert 'id="timeline-commands" hx-swap-oob="true"' in html and "FT.AGGREGATE" in html


def test_profile_fragment_links_cells_to_the_time_of_day(client, add_picture):
    add_picture(0, lux=300.0)
    html = client.get("/profile?tz=UTC", headers=HX).get_data(as_text=True)
    cells = re.findall(r'<a class="cell" href="([^"]+)" data-filters="([^"]+)"', html)
    assert len(cells) == 1
    assert "tod_from=" in cells[0][1] and "from=" in cells[0][1]
    assert re.search(r'fill="#[0-9a-f]{6}"', html)
    assert 'id="profile-commands" hx-swap-oob="true"' in html


def test_profile_shows_only_the_dates_of_a_short_range(client, add_picture):
    picture = add_picture(0)
    day = datetime.fromtimestamp(picture.timestamp, ZoneInfo("UTC")).date().isoformat()
    html = client.get(f"/profile?from={day}T00:00&to={day}T23:59:59&tz=UTC", headers=HX).get_data(
        as_text=True
    )
    assert html.count('class="tick day"') == 1 and "last 1 days" not in html


def test_charts_are_drawn_at_the_width_asked_for(client, add_picture):
    add_picture(0)
    narrow = client.get("/timeline?width=390", headers=HX).get_data(as_text=True)
    assert 'viewBox="0 0 390 ' in narrow
    assert 'viewBox="0 0 2400 ' in client.get("/timeline?width=99999", headers=HX).get_data(
        as_text=True
    )
    heat = client.get("/profile?width=500&tz=UTC", headers=HX).get_data(as_text=True)
    assert heat.count('class="legend"') == 1 and "no lux" in heat
    assert client.get("/profile?width=1e3", headers=HX).status_code == 400
