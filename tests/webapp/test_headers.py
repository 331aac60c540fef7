"""The security headers are on every kind of response: HTML, JSON, images, errors, redirects."""

from __future__ import annotations

import pytest

from ..factories import make_app
from ..forms import log_in
from .conftest import free_port_url
from .credentials import PASSWORD, TOKEN

BEARER = {"Authorization": f"Bearer {TOKEN}"}


def _check(response, what: str) -> None:
    headers = response.headers
    policy = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy, what
    assert "default-src 'none'" in policy, what
    assert "unsafe-eval" not in policy, what
    if "unsafe-inline" in policy:  # only the styles of the browser's own image viewer
        assert policy.endswith("; sandbox") and "script-src" not in policy, what
        assert "style-src 'unsafe-inline'" in policy and policy.count("unsafe-inline") == 1, what
    if "script-src" in policy:
        assert "script-src 'self'" in policy, what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "same-origin", what
    assert headers.get("X-Frame-Options") == "DENY", what


def test_every_response_type_carries_the_headers(secure_app, add_picture):
    @secure_app.get("/boom")
    def boom() -> str:
        raise RuntimeError("a bug")

    image = add_picture()
    anonymous = secure_app.test_client()
    curator = secure_app.test_client()
    log_in(curator, PASSWORD)

    thumbnail = curator.get(f"/images/{image.pk}/thumbnail")
    cases = {
        "html page": curator.get("/"),
        "htmx fragment": curator.get("/results", headers={"HX-Request": "true"}),
        "picture page": curator.get(f"/images/{image.pk}"),
        "json": curator.get("/api/images"),
        "json by token": anonymous.get(f"/api/images/{image.pk}", headers=BEARER),
        "full image": curator.get(f"/images/{image.pk}/image"),
        "thumbnail": thumbnail,
        "download": curator.get(f"/images/{image.pk}/download"),
        "304": curator.get(
            f"/images/{image.pk}/thumbnail", headers={"If-None-Match": thumbnail.headers["ETag"]}
        ),
        "range": curator.get(f"/images/{image.pk}/image", headers={"Range": "bytes=0-9"}),
        "static": anonymous.get("/static/picat.js"),
        "login page": anonymous.get("/login"),
        "login redirect": anonymous.get("/"),
        "401 json": anonymous.get("/api/images"),
        "401 bad token": anonymous.get("/api/images", headers={"Authorization": "Bearer x"}),
        "403 csrf": curator.post(f"/images/{image.pk}/delete"),
        "400 page": curator.get("/?lux_min=abc"),
        "400 json": curator.get("/api/images?cursor=forged"),
        "404 page": curator.get("/no/such/page"),
        "404 json": curator.get("/api/images/not-an-id"),
        "put without csrf": curator.put("/"),
        "500": curator.get("/boom"),
        "health": anonymous.get("/healthz"),
    }
    expected = {
        "304": 304, "range": 206, "login redirect": 303, "403 csrf": 403,
        "put without csrf": 403, "500": 500,
    }
    for what, response in cases.items():
        code = expected.get(what)
        if code is not None:
            assert response.status_code == code, what
        _check(response, what)
    assert "Traceback" not in cases["500"].get_data(as_text=True)
    assert "sandbox" in cases["thumbnail"].headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/api/images", "/healthz"])
def test_the_503_when_redis_is_away_carries_them_too(catalogue, auth, path):
    app = make_app(free_port_url(), catalogue, auth_settings=auth)
    response = app.test_client().get(path, headers=BEARER)
    assert response.status_code == 503
    _check(response, path)
