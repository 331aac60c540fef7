"""Every URL is a page: fragments asked for without htmx, and every GET route in real Chromium.

The browser test walks `app.url_map`, so a route added later is visited too (or the
test fails, asking for a sample argument). Any console error or warning fails it:
a Content-Security-Policy violation, a 404 for a resource, an htmx error.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for

from ..conftest import served
from ..factories import make_app
from ..forms import csrf_from

HX = {"HX-Request": "true"}
FRAGMENTS = {  # route -> where its part sits on the gallery page
    "/results": "results",
    "/more": "grid",
    "/count": "results",
    "/new": "results",
    "/timeline": "timeline",
    "/profile": "profile",
    "/bulk/count": "bulk",
}
SAMPLE_QUERY = {  # what a route needs to answer 200 rather than a 400
    "gallery.new": "since=0",
    "bulk.download": "all=1",
}
DOWNLOADS = {"images.download", "bulk.download"}


@pytest.fixture
def app(redis_url, catalogue, tmp_path, forget_jobs):
    """The gallery with timelapses on (they need a folder for videos)."""
    return make_app(redis_url, catalogue, PICAT_TIMELAPSE_DIR=tmp_path / "videos")


def _timelapse(app) -> str:
    """A finished timelapse of the catalogue: its id."""
    client = app.test_client()
    html = client.get("/timelapse/new").get_data(as_text=True)
    token = csrf_from(html)
    few = {"lux_max": "50", "fps": "5"}  # two frames: a video, quickly
    started = client.post("/api/timelapses", data={**few, "csrf_token": token})
    assert started.status_code == 202, started.get_json()
    job_id = started.get_json()["id"]
    for _ in range(400):
        if client.get(f"/api/timelapses/{job_id}").get_json()["status"] != "running":
            return job_id
        time.sleep(0.05)
    raise AssertionError("the timelapse did not finish")


def test_timelapse_fragments_without_htmx_are_sent_to_their_pages(client):
    plan = client.get("/timelapse/plan?lux_min=5&pick=daily&at=12:00")
    assert plan.status_code == 303
    assert plan.headers["Location"] == "/timelapse/new?lux_min=5&pick=daily&at=12:00#timelapse-plan"
    progress = client.get("/timelapses/abc/progress")
    assert (progress.status_code, progress.headers["Location"]) == (
        303, "/timelapses/abc#timelapse-progress"
    )


@pytest.mark.parametrize("path, anchor", FRAGMENTS.items())
def test_a_fragment_without_htmx_is_sent_to_its_page(client, add_picture, path, anchor):
    add_picture()
    query = "lux_min=5&camera=garden&cursor=abc&bucket=day&since=0"
    moved = client.get(f"{path}?{query}")
    assert moved.status_code == 303
    target = urlsplit(moved.headers["Location"])
    assert (target.path, target.fragment) == ("/", anchor)
    assert parse_qs(target.query) == {
        "lux_min": ["5"], "camera": ["garden"], "cursor": ["abc"], "bucket": ["day"]
    }
    assert "HX-Request" in moved.headers["Vary"]
    fragment = client.get(f"{path}?lux_min=5&since=0", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_gallery_draws_the_timeline_in_the_bucket_of_its_url(client, add_picture):
    add_picture()
    html = client.get("/?bucket=hour").get_data(as_text=True)
    assert 'hx-get="/timeline?bucket=hour"' in html
    chart = client.get("/timeline?bucket=minute", headers=HX).get_data(as_text=True)
    assert 'href="/?bucket=hour#timeline"' in chart  # a bucket link is a page, too
    assert client.get("/?bucket=fortnight").status_code == 400


def _settle(page) -> None:
    """Until htmx has no request in flight, twice 100 ms apart: the parts a page loads
    after itself (count, charts) have answered. ("networkidle" waits 500 ms a page,
    and never comes for a <video>.)"""
    for _ in range(2):
        page.wait_for_timeout(100)
        page.wait_for_function("() => !document.querySelector('.htmx-request')", polling=20)


def _get_routes(app, image_id: str, job_id: str) -> list[tuple[str, str]]:
    """(endpoint, URL) for every GET route, with sample arguments filled in."""
    samples = {"image_id": image_id, "filename": "picat.css", "job_id": job_id}
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            missing = rule.arguments - samples.keys()
            assert not missing, f"give {rule.rule} a sample {missing}"
            url = url_for(rule.endpoint, **{name: samples[name] for name in rule.arguments})
            query = SAMPLE_QUERY.get(rule.endpoint)
            routes.append((rule.endpoint, f"{url}?{query}" if query else url))
    return routes


@pytest.mark.browser
def test_every_get_route_opens_without_a_console_message(app, add_picture, browser):
    playwright_error = pytest.importorskip("playwright.sync_api").Error
    pictures = [add_picture(i * 600, lux=float(i * 40)) for i in range(30)]
    routes = _get_routes(app, pictures[10].pk, _timelapse(app))
    assert len(routes) >= 15
    with served(app) as base:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        heard: list[str] = []
        page.on(
            "console",
            lambda m: m.type in ("error", "warning") and heard.append(f"{m.type}: {m.text}"),
        )
        page.on("pageerror", lambda error: heard.append(f"pageerror: {error}"))
        for endpoint, url in routes:
            if endpoint in DOWNLOADS:
                with (
                    page.expect_download() as download,
                    pytest.raises(playwright_error, match="Download is starting"),
                ):
                    page.goto(base + url)
                assert download.value.suggested_filename, url
                continue
            response = page.goto(base + url)
            assert response is not None and response.status == 200, (url, response)
            _settle(page)
            assert heard == [], (url, heard)
        # The error pages: the page's own status is the one message allowed.
        for url, status in (("/images/nope", 404), ("/no-such-page", 404), ("/?lux_min=x", 400)):
            response = page.goto(base + url)
            assert response.status == status
            _settle(page)
            assert [m for m in heard if f"status of {status}" not in m] == [], (url, heard)
            heard.clear()
        context.close()
