"""Extreme but valid filters on the chart and bulk routes: an answer or a 400, never a 500."""

from __future__ import annotations

import pytest

QUERIES = [
    "from=-99999999999", "to=-99999999999", "from=99999999999", "to=99999999999",
    "from=-99999999999&to=99999999999", "from=0&to=1", "bucket=minute",
    "bucket=week&from=-99999999999&to=99999999999", "bucket=day&from=1000&to=1000",
    "tz=Pacific/Kiritimati", "expiring=1h",
]


@pytest.mark.parametrize("path", ["/timeline", "/profile", "/api/timeline", "/bulk/count",
                                  "/bulk/zip?all=1"])
def test_extremes_are_answered(client, add_picture, path):
    add_picture(0)
    for query in QUERIES:
        url = path + ("&" if "?" in path else "?") + query
        response = client.get(url, headers={"HX-Request": "true"})  # as htmx asks
        assert response.status_code in (200, 400), (query, response.status_code)
        response.get_data()
