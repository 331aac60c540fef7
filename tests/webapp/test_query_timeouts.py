"""A real server-side timeout in the timeline, heat map and bulk routes is a 503, not a 500."""

from __future__ import annotations

from datetime import UTC

import pytest

from picat.schema import Catalogue, connect, index
from picat.schema.bulk import delete_step, selection
from picat.schema.profile import profile
from picat.schema.query import Filters, QueryTimeout, count
from picat.schema.timeline import timeline

from ..factories import make_app

BASE = 1_700_000_000


def test_timeline_heat_map_and_bulk_turn_a_server_timeout_into_a_503(embedded_redis) -> None:
    server = embedded_redis()  # private: the timeout must not reach other tests
    private = connect(server.url)
    catalogue = Catalogue()
    index.apply(private, catalogue)
    with private.pipeline(transaction=False) as pipe:
        for i in range(60_000):
            pipe.hset(f"image:{BASE + i}", mapping={
                "timestamp": BASE + i, "lux": i % 50, "time_of_day": i % 86400,
                "expires_at": 4_000_000_000,
            })
        pipe.execute()
    private.execute_command("FT.CONFIG", "SET", "TIMEOUT", "1")
    wide = Filters(start=BASE, end=BASE + 60_000)
    with pytest.raises(QueryTimeout):
        timeline(private, Filters(), UTC)
    with pytest.raises(QueryTimeout):
        profile(private, wide, now=BASE + 60_000)
    with pytest.raises(QueryTimeout):
        count(private, Filters(lux_min=1))
    with pytest.raises(QueryTimeout):
        delete_step(private, selection(Filters(lux_min=1)), include_kept=True)
    client = make_app(server.url, catalogue, testing=False).test_client()
    query = f"from={BASE}&to={BASE + 60_000}&tz=UTC"
    for path in ("/timeline", "/profile", "/api/timeline", "/bulk/count"):
        reply = client.get(f"{path}?{query}", headers={"HX-Request": "true"})  # as htmx asks
        assert reply.status_code == 503, (path, reply.status_code)
    assert private.hlen(f"image:{BASE}") == 4  # nothing was deleted
