"""Bulk curation, the timeline and the heat map run with the web role's Redis credentials."""

from __future__ import annotations

import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from picat import acl
from picat.embedded import EmbeddedRedis
from picat.schema import DEFAULT_CATALOGUE, connect, index, store
from picat.schema.bulk import delete_ids, delete_step, keep_ids, selection
from picat.schema.profile import profile
from picat.schema.query import Filters
from picat.schema.timeline import timeline

from ..factories import picture


def test_web_role_may_do_everything_bulk_needs(embedded_redis: Callable[..., EmbeddedRedis]):
    server = embedded_redis()
    root = connect(server.url)
    web_role = next(role for role in acl.ROLES if role.name == "web")
    root.execute_command(*acl.setuser_command(web_role, [acl.password_hash("web password")]))
    web = connect(acl.role_url(server.url, web_role, "web password"))
    index.apply(root)
    now = time.time()
    ids = []
    for n in range(6):
        image = picture(now - n, lux=float(n), time_of_day=60, utc_offset=0, expires_at=now + 600)
        store.save(root, image, b"jpeg", None)
        ids.append(image.pk)

    assert timeline(web, Filters(), ZoneInfo("UTC")).total == 6
    assert sum(c.count for c in profile(web, Filters()).cells.values()) == 6
    assert keep_ids(web, ids[:1]).done == 1
    assert delete_ids(web, ids[:2]).done == 1  # the kept one is spared
    assert delete_step(web, selection(Filters()), include_kept=False).tally.done == 4
    assert {key.decode() for key in root.scan_iter(match="image:*")} == {
        DEFAULT_CATALOGUE.key(ids[0])
    }
