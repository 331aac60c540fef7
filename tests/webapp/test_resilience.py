"""Redis going away: friendly 503s (page, fragment, JSON), /healthz says why, then recovery."""

from __future__ import annotations

from picat.schema import Catalogue, connect, index
from picat.schema.query import QueryTimeout

from ..factories import make_app


def test_unreachable_redis_is_a_503_and_the_gallery_recovers(embedded_redis, tmp_path):
    server = embedded_redis(tmp_path / "redis")
    catalogue = Catalogue(prefix="webtest:image:", index="webtest:idx:images")
    index.apply(connect(server.url), catalogue)
    client = make_app(server.url, catalogue, testing=False).test_client()
    assert client.get("/").status_code == 200

    server.kill()
    page = client.get("/")
    assert page.status_code == 503
    assert "Redis is unreachable" in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    fragment = client.get("/new?since=0", headers={"HX-Request": "true"})
    assert fragment.status_code == 503
    assert fragment.get_data(as_text=True).startswith('<div class="notice error"')
    api = client.get("/api/images")
    assert api.status_code == 503 and "unreachable" in api.get_json()["error"]
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["redis"].startswith("unreachable")
    assert client.get("/images/01ARZ3NDEKTSV4RRFFQ69G5FAV/thumbnail").status_code == 503

    embedded_redis(tmp_path / "redis", port=server.port)
    assert client.get("/").status_code == 200
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_a_query_over_the_time_limit_is_a_friendly_503(redis_url, catalogue):
    app = make_app(redis_url, catalogue, testing=False)

    def too_slow() -> str:
        raise QueryTimeout("Timeout limit was reached")

    app.add_url_rule("/too-slow", view_func=too_slow)
    app.add_url_rule("/api/too-slow", view_func=too_slow)
    client = app.test_client()
    page = client.get("/too-slow")
    assert page.status_code == 503
    assert "took Redis too long" in page.get_data(as_text=True)
    assert client.get("/api/too-slow").get_json()["error"].startswith("This question took")


def test_dates_out_of_range_are_a_400_not_a_500(redis_url, catalogue):
    client = make_app(redis_url, catalogue, testing=False).test_client()
    for value in ("-99999999999", "0001-01-01T00:00", "9999-12-31T23:59"):
        for path in ("/", "/api/images", "/timeline", "/profile"):
            htmx = {"HX-Request": "true"}  # the charts are fragments
            reply = client.get(path, query_string={"from": value, "tz": "Asia/Tokyo"}, headers=htmx)
            assert reply.status_code == 400, (path, value, reply.status_code)
    edge = client.get("/", query_string={"from": "0", "to": "253402214400", "tz": "Etc/GMT+12"})
    assert edge.status_code == 200
