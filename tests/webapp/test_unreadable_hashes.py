"""A stray or hand-written hash under the prefix never turns the gallery into a 500."""

from __future__ import annotations

import time

import flask.testing
import redis

from picat.schema import Catalogue, new_image_id

from ..factories import AddPicture


def test_the_gallery_and_the_api_answer_with_odd_hashes_present(
    client: flask.testing.FlaskClient, r: redis.Redis, catalogue: Catalogue,
    add_picture: AddPicture,
) -> None:
    shown = add_picture()
    now = time.time()
    r.hset(catalogue.prefix + "foo", "timestamp", now)
    r.hset(catalogue.prefix + "1681843615123", "timestamp", now - 1)
    r.hset(catalogue.key(new_image_id(now - 2)), mapping={"timestamp": now - 2, "camera": "a b"})
    r.hset(catalogue.key(new_image_id(now - 3)), mapping={"timestamp": now - 3, "trigger": "x"})
    r.hset(catalogue.key("1681843615"), "lux", 5)
    for sort in ("newest", "oldest", "brightest", "darkest"):
        assert client.get(f"/?sort={sort}").status_code == 200, sort
        reply = client.get(f"/api/images?sort={sort}")
        assert reply.status_code == 200, sort
        ids = [row["id"] for row in reply.get_json()["images"]]
        assert shown.pk in ids and "foo" not in ids and "1681843615123" not in ids
