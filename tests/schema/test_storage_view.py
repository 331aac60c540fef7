"""The storage view: memory, pictures, rates and a projection that matches a hand
calculation with a known capture rate; the same in JSON, on the page and in `picat status`;
the banner when the budget, not the TTL, decides."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from picat.cli import main
from picat.embedded import EmbeddedRedis
from picat.schema import connect, index, storage, store

from ..factories import make_app, picture

WEEK = 7 * 86400
BUDGET = 100_000_000


@pytest.fixture
def known_rate(embedded_redis: Callable[..., EmbeddedRedis]) -> tuple[str, float]:
    """Camera `a` took one picture a minute for the last hour, `b` one every two minutes,
    and `a` 100 more between 2 and 20 hours ago, all living a week; plus 5 kept ones."""
    server = embedded_redis()
    r = connect(server.url)
    index.apply(r)
    now = time.time()
    taken = [(now - 30 - 60 * n, "a") for n in range(60)]
    taken += [(now - 45 - 120 * n, "b") for n in range(30)]
    taken += [(now - 7200 - 648 * n, "a") for n in range(100)]
    for n, (when, camera) in enumerate(taken):
        image = picture(when, lux=1.0, camera=camera, expires_at=when + WEEK)
        store.save(r, image, os.urandom(20_000 + n), b"thumb")
    for n in range(5):
        when = now - 30 * 86400 - n
        store.save(r, picture(when, camera="a"),
                   os.urandom(20_000), None)
    return server.url, now


def test_the_projection_matches_a_hand_calculation(known_rate: tuple[str, float]) -> None:
    url, now = known_rate
    report = storage.report(connect(url), BUDGET, now=now)

    assert (report.pictures, report.kept, report.budget) == (195, 5, BUDGET)
    assert [(c.camera, c.last_hour, c.last_day) for c in report.cameras] == [
        ("a", 60, 160), ("b", 30, 30)
    ]
    assert report.oldest == pytest.approx(now - 30 * 86400 - 4, abs=0.01)
    assert report.ttl == pytest.approx(WEEK)
    # By hand: 90 pictures in the last hour = 1.5 a minute = 2,160 a day. Retention starts
    # 32 MB under the 100 MB budget (its headroom: 10 %, at least 32 MB), so the budget
    # holds 68 MB at the average picture's share of used memory.
    per_picture = report.used / 195
    holds = int(68_000_000 / per_picture)
    days = holds / 2160
    assert report.per_minute == 1.5
    assert report.holds_pictures == holds
    assert report.holds_days == pytest.approx(days)
    assert report.projection() == (
        f"at 1.5 pictures a minute this budget holds {days:.1f} days; IMAGE_TTL is 7 days"
    )
    assert 0.5 < days < 3  # ~20 KB pictures: the budget, not the week, decides
    assert report.budget_decides


def _banner_refreshed(client: FlaskClient) -> None:
    """Wait for the banner's background report that the last page started."""
    refreshing = client.application.extensions["picat.storage_banner"].refreshing
    assert refreshing is not None
    refreshing.join(timeout=30)


def test_json_page_banner_and_status_say_the_same(
    known_rate: tuple[str, float], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _ = known_rate
    monkeypatch.setenv("PICAT_MEMORY_BUDGET", "100MB")
    client = make_app(url).test_client()

    data = client.get("/api/storage").get_json()
    assert (data["pictures"], data["kept"], data["budget_bytes"]) == (195, 5, BUDGET)
    assert data["budget_decides"] is True
    assert data["projection"].startswith("at 1.5 pictures a minute this budget holds ")

    page = client.get("/storage").get_data(as_text=True)
    assert "At 1.5 pictures a minute this budget holds " in page
    assert " days; IMAGE_TTL is 7 days.</p>" in page
    assert "<th scope=\"row\">a</th><td>60</td><td>160</td>" in page
    _banner_refreshed(client)  # started by the first page that showed the banner's place
    gallery = client.get("/").get_data(as_text=True)
    assert "The memory budget, not IMAGE_TTL, decides what is kept: at 1.5 pictures" in gallery

    monkeypatch.setenv("REDIS_URL", url)
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "pictures    195 held, 5 kept" in out
    assert "camera      a: 60 in the last hour, 160 in the last day" in out
    # (used memory moves a little between two readings: the days are compared above)
    assert "projection  at 1.5 pictures a minute this budget holds " in out
    assert " days; IMAGE_TTL is 7 days\n" in out
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pictures"] == 195


def test_no_banner_while_the_ttl_decides(embedded_redis: Callable[..., EmbeddedRedis]) -> None:
    url = embedded_redis().url
    r = connect(url)
    index.apply(r)
    now = time.time()
    store.save(r, picture(now, camera="a", expires_at=now + 600),
               b"\xff\xd8tiny", None)
    report = storage.report(r, 10 * BUDGET)
    assert not report.budget_decides and report.projection().endswith("IMAGE_TTL is 10 minutes")
    client = make_app(url).test_client()
    client.get("/")
    _banner_refreshed(client)
    assert "decides what is kept" not in client.get("/").get_data(as_text=True)


def test_an_unbounded_server_is_named_on_the_page(
    embedded_redis: Callable[..., EmbeddedRedis], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = embedded_redis().url
    r = connect(url)
    index.apply(r)
    r.config_set("maxmemory", 0)  # an external server with no maxmemory
    monkeypatch.delenv("PICAT_MEMORY_BUDGET", raising=False)
    page = make_app(url).test_client().get("/storage").get_data(as_text=True)
    assert "No memory budget: nothing bounds the catalogue" in page
    assert "This Redis has no maxmemory and PICAT_MEMORY_BUDGET is unset" in page
