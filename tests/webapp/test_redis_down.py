"""Redis stopped under the production server: friendly 503s, /healthz says why, then it recovers.

Served by waitress over real HTTP with authentication on, as `picat web` serves it;
the same app object keeps running while Redis is killed and started again.
"""

from __future__ import annotations

import http.client
import json
import threading

import pytest

from picat.schema import Catalogue, connect, index
from picat.webapp.server import make_server

from ..factories import make_app
from .credentials import TOKEN

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")

BEARER = {"Authorization": f"Bearer {TOKEN}"}


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode()
    finally:
        connection.close()


def test_served_gallery_answers_503_while_redis_is_down_and_recovers(
    embedded_redis, tmp_path, auth
):
    server = embedded_redis(tmp_path / "redis")
    catalogue = Catalogue(prefix="down:image:", index="down:idx:images")
    index.apply(connect(server.url), catalogue)
    app = make_app(server.url, catalogue, auth_settings=auth, testing=False)
    web = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    port = web.effective_port
    try:
        assert _get(port, "/", BEARER)[0] == 200
        server.kill()

        status, kind, body = _get(port, "/", BEARER)
        assert status == 503 and kind.startswith("text/html")
        assert "Redis is unreachable" in body and "Traceback" not in body and 'File "' not in body
        status, kind, body = _get(port, "/api/images", BEARER)
        assert status == 503 and kind == "application/json"
        assert "unreachable" in json.loads(body)["error"]
        status, _, body = _get(port, "/healthz")
        assert status == 503
        assert json.loads(body) == {"status": "unavailable", "redis": "unreachable"}
        status, _, body = _get(port, "/healthz", BEARER)
        assert json.loads(body)["redis"].startswith("unreachable: ")

        embedded_redis(tmp_path / "redis", port=server.port)
        assert _get(port, "/", BEARER)[0] == 200
        assert _get(port, "/api/images", BEARER)[0] == 200
        assert json.loads(_get(port, "/healthz")[2])["status"] == "ok"
    finally:
        web.close()
        thread.join(timeout=5)
