"""A keep or delete the gallery confirmed survives `kill -9` of Redis (WAITAOF before 303).

The capture side of the same promise (nothing lost when Redis is killed under a
running capture) is `tests/capture/test_capture_redis_killed.py`.
"""

from __future__ import annotations

import time

from picat.schema import Catalogue, connect, index, store

from ..factories import jpeg, make_app, picture
from ..forms import csrf_from


def _save(r, catalogue, count: int) -> list[str]:
    ids = []
    for i in range(count):
        now = time.time() - 60 + i
        image = picture(now, lux=5.0, camera="kill", expires_at=now + 3600)
        store.save(r, image, jpeg(size=(32, 24)), jpeg(size=(8, 6)), catalogue)
        ids.append(image.pk)
    return ids


def test_confirmed_keep_and_delete_survive_sigkill(embedded_redis, tmp_path):
    server = embedded_redis(tmp_path / "redis")
    r = connect(server.url)
    catalogue = Catalogue(prefix="durable:image:", index="durable:idx:images")
    index.apply(r, catalogue)
    deleted, kept, untouched = _save(r, catalogue, 3)
    client = make_app(server.url, catalogue).test_client()
    token = csrf_from(client.get(f"/images/{kept}").get_data(as_text=True))

    assert client.post(f"/images/{deleted}/delete", data={"csrf_token": token}).status_code == 303
    assert client.post(f"/images/{kept}/keep", data={"csrf_token": token}).status_code == 303
    assert r.info("commandstats")["cmdstat_waitaof"]["calls"] == 2
    server.kill()  # SIGKILL right after the confirmations: no clean shutdown, no AOF rewrite

    restarted = embedded_redis(tmp_path / "redis", port=server.port)
    r = connect(restarted.url)
    assert not r.exists(catalogue.key(deleted))
    assert r.ttl(catalogue.key(kept)) == -1 and not r.hexists(catalogue.key(kept), "expires_at")
    assert r.ttl(catalogue.key(untouched)) > 0


def test_without_aof_the_change_is_accepted_and_logged_once(embedded_redis, tmp_path, caplog):
    server = embedded_redis(tmp_path / "redis")
    r = connect(server.url)
    r.config_set("appendonly", "no")
    catalogue = Catalogue(prefix="noaof:image:", index="noaof:idx:images")
    index.apply(r, catalogue)
    first, second = _save(r, catalogue, 2)
    client = make_app(server.url, catalogue).test_client()
    token = csrf_from(client.get(f"/images/{first}").get_data(as_text=True))
    for image_id in (first, second):
        done = client.post(f"/images/{image_id}/delete", data={"csrf_token": token})
        assert done.status_code == 303
        assert "not yet confirmed" not in client.get("/").get_data(as_text=True)
    assert not r.exists(catalogue.key(first)) and not r.exists(catalogue.key(second))
    assert sum("cannot confirm keep/delete" in m for m in caplog.messages) == 1
