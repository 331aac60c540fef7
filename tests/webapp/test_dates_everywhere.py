"""Pictures anywhere in the valid capture range: every view answers, nothing is corrupt.

The valid range is `schema.clock` [EARLIEST, LATEST): 1970 to the end of 2199. One
old or far-future picture used to make the default timeline a 400 for everyone
(week was the coarsest bucket), some zones a 500 (`LIMIT exceeds maximum`), and a
picture after 2107 a 200 with a corrupt zip.
"""

from __future__ import annotations

import io
import json
import math
import random
import struct
import zipfile
from datetime import UTC

import pytest

from picat.schema import new_image_id
from picat.schema.clock import EARLIEST, LATEST, local_time_fields
from picat.schema.timeline import UNITS

from ..factories import BASE_TIME

ZONES = ["UTC", "Asia/Kathmandu", "Pacific/Kiritimati", "Pacific/Niue", "Australia/Lord_Howe",
         "America/St_Johns", "Etc/GMT+12", "Asia/Kolkata", "Europe/Berlin"]
DATES = [EARLIEST, 1451606400.0, 2**31 + 5.0, 4354819300.0, LATEST - 1]
"""1970, 2016, after 2038, just after the zip DOS field ends (2107), the last second."""

HX = {"HX-Request": "true"}  # the charts are fragments: htmx asks for them


def _add_at(add_picture, timestamp: float, **fields):
    time_of_day, utc_offset = local_time_fields(timestamp, UTC)
    return add_picture(
        timestamp - BASE_TIME, pk=new_image_id(timestamp), time_of_day=time_of_day,
        utc_offset=utc_offset, expires_at=None, **fields,
    )


@pytest.fixture
def spread(add_picture):
    made = [_add_at(add_picture, moment) for moment in DATES]
    made.append(add_picture(0))  # and one of yesterday
    return made


def test_default_views_answer_with_one_picture_at_each_end(client, spread):
    """The view every visitor gets first: auto buckets, no filters, in any zone."""
    for zone in ZONES:
        for path in ("/timeline", "/profile", "/api/timeline", "/", "/api/images"):
            response = client.get(path, query_string={"tz": zone}, headers=HX)
            assert response.status_code == 200, (path, zone, response.get_data(as_text=True))
    timeline = client.get("/api/timeline").get_json()
    assert timeline["unit"] == "year"
    assert timeline["total"] == len(spread)


@pytest.mark.parametrize("bucket", ["auto", *UNITS])
def test_every_zone_and_bucket_over_the_whole_range_is_never_a_5xx(client, spread, bucket):
    rng = random.Random(17)
    for zone in ZONES:
        ranges = [(EARLIEST, LATEST - 1), (-1e11, 1e11), (None, None)]
        for _ in range(4):
            a, b = sorted(rng.uniform(EARLIEST, LATEST) for _ in range(2))
            ranges.append((a, a + rng.choice([60, 3600, 86400 * 40, b - a])))
        for start, end in ranges:
            query = {"tz": zone, "bucket": bucket}
            if start is not None:
                query.update({"from": repr(start), "to": repr(end)})
            for path in ("/api/timeline", "/timeline", "/profile"):
                response = client.get(path, query_string=query, headers=HX)
                assert response.status_code in (200, 400), (path, query, response.status_code)
                if path == "/api/timeline" and response.status_code == 200:
                    json.loads(response.get_data(as_text=True))


def test_long_span_in_an_odd_zone_is_not_limit_exceeds_maximum(client, spread):
    """Nepal's +05:45 makes the server's base step 15 min: 230 years of them are far
    more rows than any MAXAGGREGATERESULTS; they are read in pages."""
    response = client.get("/api/timeline", query_string={
        "tz": "Asia/Kathmandu", "bucket": "year", "from": EARLIEST, "to": LATEST - 1})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["total"] == len(spread)


def test_zip_after_2107_is_complete_and_keeps_the_real_time(client, spread):
    response = client.get("/bulk/zip?all=1")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert archive.testzip() is None
    names = archive.namelist()
    assert len(names) == len(spread)
    assert any(name.startswith("2199-12-31T23-59-59") for name in names)
    infos = archive.infolist()
    late = next(info for info in infos if info.filename.startswith("2108-01-01T00-01-40"))
    assert late.date_time == (2107, 12, 31, 23, 59, 58)  # the DOS field, clamped
    # The NTFS extra field carries the true modification time, past 2107.
    for info in archive.infolist():
        if info.filename.startswith("2199"):
            tag, _size = struct.unpack("<HH", info.extra[:4])
            assert tag == 0x000A
            (ticks,) = struct.unpack("<Q", info.extra[12:20])
            assert ticks / 10**7 - 11644473600 == LATEST - 1


def test_cursor_paging_walks_the_whole_range(client, spread):
    seen, query = [], {"limit": 2}
    for _ in range(20):
        page = client.get("/api/images", query_string=query)
        assert page.status_code == 200
        body = page.get_json()
        seen += [image["id"] for image in body["images"]]
        if not body.get("next_cursor"):
            break
        query["cursor"] = body["next_cursor"]
    assert sorted(seen) == sorted(image.pk for image in spread)


def test_nan_lux_is_no_500_and_valid_json(client, add_picture, r, catalogue):
    image = add_picture(0)
    r.hset(catalogue.key(image.pk), "lux", "nan")
    r.hset(catalogue.key(image.pk), "analogue_gain", "inf")
    assert client.get(f"/images/{image.pk}").status_code == 200
    for url in ("/api/images", f"/api/images/{image.pk}"):
        body = client.get(url).get_data(as_text=True)
        json.loads(body, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    shown = client.get(f"/api/images/{image.pk}").get_json()
    assert shown["lux"] is None and shown["analogue_gain"] is None
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in shown.values())
