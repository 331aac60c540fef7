"""The password-less gallery on loopback: only this machine's own names reach it."""

from __future__ import annotations

import redis

from picat.schema import Catalogue

from ..factories import make_app
from ..forms import csrf_from


def test_dns_rebinding_cannot_reach_the_loopback_gallery(
    redis_url, catalogue: Catalogue, add_picture, r: redis.Redis
):
    image = add_picture()
    app = make_app(redis_url, catalogue)
    client = app.test_client()
    for host in ("localhost", "localhost:8000", "127.0.0.1:8000", "127.3.4.5", "[::1]:8000"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", "192.168.1.20"):
        page = client.get("/", headers={"Host": host})
        assert page.status_code == 400 and b"csrf_token" not in page.data, host
    token = csrf_from(client.get("/").get_data(as_text=True))
    rebound = client.post(
        "/bulk/delete", data={"csrf_token": token, "all": "1", "include_kept": "1"},
        headers={"Host": "evil.example:8000"},
    )
    assert rebound.status_code == 400
    assert r.exists(catalogue.key(image.pk))

    # --no-auth on the network: whatever is in front checks who comes in
    served_on_lan = make_app(redis_url, catalogue, host="0.0.0.0").test_client()
    assert served_on_lan.get("/", headers={"Host": "pi.local:8000"}).status_code == 200
