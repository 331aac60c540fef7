"""The timed scenarios for one catalogue size: our gallery, the seed's designs, the floor.

"Server time" for the gallery is the Flask app handling the request in-process,
called as a WSGI server calls it: routing, the queries and their round trips to
Redis, and rendering the HTML or JSON; no sockets to the browser. One row times
the first page through Flask's test client instead, as earlier reports did.
`query:*` times the query layer alone (`picat.schema.query.search`), to tell its
cost from the web layer's.
Baselines and the floor are timed as described in `baselines.py`. All are timed
in one interleaved loop.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any
from urllib.parse import urlencode

import redis
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder

from picat.schema import Catalogue
from picat.schema.query import Sort, parse_filters, search
from picat.schema.timeline import timeline

from . import baselines
from .filter_sets import FilterSet
from .timing import Timing, measure

SCAN_UP_TO = 100_000
PAGE_1000 = 1000
MONTH = 30 * 86400
# Sent with every request: fragments answer htmx only (others are sent to their page),
# and the pages themselves do not look at it.
HTMX = {"HX-Request": "true"}


class ScenarioError(RuntimeError):
    """A request the benchmark relies on did not succeed; the message says which."""


def _checked(client: FlaskClient, url: str) -> None:
    """Fail now if `url` does not answer 200, so a broken page is not timed as fast."""
    response = client.get(url, headers=HTMX)
    if response.status_code != 200:
        raise ScenarioError(f"GET {url} answered {response.status_code}")


def _get(client: FlaskClient, url: str) -> Callable[[], object]:
    """A request as a timed action: the WSGI call a server such as waitress makes, body read.

    The test client's own work (building the request, its cookie jar, wrapping the
    response) is the client's cost, not the server's; `_via_test_client` times it
    too, for comparison.
    """
    _checked(client, url)
    app = client.application
    environ = EnvironBuilder(url, headers=HTMX).get_environ()

    def start_response(status: str, headers: list, exc_info: object = None) -> None:
        return None

    def action() -> object:
        body = app(dict(environ), start_response)
        try:
            return b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()

    return action


def _via_test_client(client: FlaskClient, url: str) -> Callable[[], object]:
    """The same request through `client.get`, as earlier reports timed every page."""
    _checked(client, url)
    return lambda: client.get(url, headers=HTMX).data


def _empty_app() -> Flask:
    """Flask answering a constant: what any request costs before the gallery does anything."""
    app = Flask("bench-empty")
    app.add_url_rule("/", "empty", lambda: "ok")
    return app


def api_page(client: FlaskClient, params: dict[str, str]) -> dict[str, Any]:
    """One page from the JSON API: the ids, timestamps and cursor the checks need."""
    response = client.get("/api/images?" + urlencode(params))
    if response.status_code != 200:
        raise ScenarioError(f"/api/images?{urlencode(params)} answered {response.status_code}")
    return response.get_json()


def walk(client: FlaskClient, pages: int) -> tuple[list[str], str | None, float]:
    """Follow the newest-first view's cursors for up to `pages` pages.

    Returns the ids seen, the cursor that opens page `pages` (None if the view
    ended before it) and the seconds the walk took.
    """
    began = time.perf_counter()
    seen: list[str] = []
    cursor = None
    for _ in range(pages - 1):
        page = api_page(client, {"cursor": cursor} if cursor else {})
        seen += [image["id"] for image in page["images"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return seen, cursor, time.perf_counter() - began


def _span(images: list[dict[str, Any]]) -> tuple[float, float]:
    return images[0]["timestamp"], images[-1]["timestamp"]


def run(
    client: FlaskClient, r: redis.Redis, catalogue: Catalogue, n: int, all_sets: list[FilterSet],
    newest: float, runs: int,
) -> tuple[dict[str, Timing], dict[str, Any]]:
    """Every timed action for this size, and facts about them (spans, checks, walk time)."""
    actions: dict[str, Callable[[], object]] = {
        "ping": r.ping, "flask:empty": _get(_empty_app().test_client(), "/"),
    }
    facts: dict[str, Any] = {"floor_returns_our_page": {}, "commands": {}}

    def floor_for(name: str, query: str, page: dict[str, Any]) -> None:
        images = page["images"]
        if not images:
            return
        first, last = _span(images)
        text = baselines.floor_query(query, first, last)
        ids = [key.decode().removeprefix(catalogue.prefix)
               for key in baselines.floor_ids(r, catalogue, text)]
        facts["floor_returns_our_page"][name] = ids == [image["id"] for image in images]
        actions[f"floor:{name}"] = lambda: baselines.floor_ids(r, catalogue, text)
        if name == "newest":
            actions["floor:newest_fields"] = lambda: baselines.floor_rows(r, catalogue, text)

    actions["gallery:newest_test_client"] = _via_test_client(client, "/")
    for filter_set in all_sets:
        actions[f"gallery:{filter_set.name}"] = _get(client, "/?" + urlencode(filter_set.params))
        filters = parse_filters(filter_set.params, UTC)
        actions[f"query:{filter_set.name}"] = lambda filters=filters: search(
            r, filters, Sort.NEWEST, 24, None, catalogue=catalogue
        )
        page = api_page(client, filter_set.params)
        facts["commands"][filter_set.name] = len(page["query"].splitlines())
        floor_for(filter_set.name, filter_set.query, page)

    seen, cursor, seconds = walk(client, PAGE_1000)
    facts["walk_distinct_ids"] = len(set(seen))
    facts["walk_ids"] = len(seen)
    if cursor is not None:
        offset = 24 * (PAGE_1000 - 1)
        facts["walk_to_page_1000_s"] = seconds
        actions["gallery:page_1000"] = _get(client, "/?" + urlencode({"cursor": cursor}))
        page_1000 = api_page(client, {"cursor": cursor})
        floor_for("page_1000", "*", page_1000)
        naive_1000 = json.loads(baselines.naive_page(r, catalogue, offset))
        facts["page_1000_equals_naive_offset"] = [
            entry["key"].removeprefix(catalogue.prefix) for entry in naive_1000
        ] == [image["id"] for image in page_1000["images"]]
        actions["naive:page_1000"] = lambda: baselines.naive_page(r, catalogue, offset)
    else:
        facts["walk_saw_every_picture_once"] = len(seen) == len(set(seen)) == n

    combined = all_sets[-1]
    actions["gallery:count"] = _get(client, "/count")
    actions["floor:count"] = lambda: baselines.floor_count(r, catalogue, "*")
    actions["gallery:count_combined"] = _get(client, "/count?" + urlencode(combined.params))
    actions["floor:count_combined"] = lambda: baselines.floor_count(r, catalogue, combined.query)

    some = api_page(client, {})["images"][-1]
    actions["gallery:thumbnail"] = _get(client, some["thumbnail_url"])
    key = catalogue.key(some["id"])
    actions["floor:thumbnail"] = lambda: baselines.floor_thumbnail(r, key)
    actions["gallery:api"] = _get(client, "/api/images")

    end = math.ceil(newest)
    month_params = {"from": str(end - MONTH), "to": str(end)}
    month = parse_filters(month_params, UTC)
    facts["timeline_month_pictures"] = timeline(r, month, UTC, catalogue=catalogue).total
    actions["timeline:month"] = lambda: timeline(r, month, UTC, catalogue=catalogue)
    actions["gallery:timeline_month"] = _get(client, "/timeline?" + urlencode(month_params))

    actions["naive:newest"] = lambda: baselines.naive_page(r, catalogue, 0)
    if n <= SCAN_UP_TO:
        actions["scan:newest"] = lambda: baselines.scan_page(r, catalogue)
    facts["naive_returns_our_page"] = [
        entry["key"].removeprefix(catalogue.prefix)
        for entry in json.loads(baselines.naive_page(r, catalogue, 0))
    ] == [image["id"] for image in api_page(client, {})["images"]]
    return measure(actions, runs), facts
