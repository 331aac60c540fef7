"""The picture view: every field in human units, neighbours, keep and delete with CSRF."""

from __future__ import annotations

import redis

from picat.schema import Catalogue

from ..forms import csrf_from


def test_shows_every_field_in_human_units(client, add_picture):
    image = add_picture(
        lux=1234.0, exposure_time=8333, analogue_gain=2.0, colour_temperature=5600,
        lens_position=2.0, trigger="motion", checksum="abc123", width=4608, height=2592,
    )
    html = client.get(f"/images/{image.pk}").get_data(as_text=True)
    times = "\N{MULTIPLICATION SIGN}"
    for text in (
        "1,234 lx", "1/120 s (8,333 µs)", f"{times}2.00", "5,600 K", "2.00 dioptres", "50 cm",
        "motion", "abc123", f"4608 {times} 2592 px", "image/jpeg", "Expires in",
        f'src="/images/{image.pk}/image"', f'href="/images/{image.pk}/download"',
    ):
        assert text in html, text


def test_previous_and_next_stay_within_the_filter(client, add_picture):
    dim = add_picture(0, lux=1.0)
    a = add_picture(60, lux=200.0)
    add_picture(120, lux=2.0)
    b = add_picture(180, lux=300.0)
    html = client.get(f"/images/{a.pk}?lux_min=100").get_data(as_text=True)
    assert f'rel="prev" href="/images/{b.pk}?lux_min=100"' in html
    assert 'rel="next"' not in html
    assert 'href="/?lux_min=100"' in html
    html = client.get(f"/images/{a.pk}").get_data(as_text=True)
    assert f'rel="next" href="/images/{dim.pk}"' in html
    assert client.get(f"/images/{a.pk}?lux_min=abc").status_code == 400


def test_keep_needs_the_csrf_token_and_removes_the_ttl(
    client, add_picture, r: redis.Redis, catalogue: Catalogue
):
    image = add_picture()
    key = catalogue.key(image.pk)
    assert r.ttl(key) > 0
    assert client.post(f"/images/{image.pk}/keep").status_code == 403
    assert client.post(f"/images/{image.pk}/keep", data={"csrf_token": "x" * 43}).status_code == 403
    assert r.ttl(key) > 0
    token = csrf_from(client.get(f"/images/{image.pk}").get_data(as_text=True))
    response = client.post(f"/images/{image.pk}/keep?lux_min=1", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/images/{image.pk}?lux_min=1"
    assert r.ttl(key) == -1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "never expires" in page and "Keep forever" not in page


def test_delete_needs_the_csrf_token_and_confirms(
    client, add_picture, r: redis.Redis, catalogue: Catalogue
):
    image = add_picture()
    html = client.get(f"/images/{image.pk}").get_data(as_text=True)
    assert 'data-confirm="Delete this picture' in html
    forbidden = client.post(f"/images/{image.pk}/delete")
    assert forbidden.status_code == 403
    assert "reload" in forbidden.get_data(as_text=True)
    assert r.exists(catalogue.key(image.pk))
    other_session = client.application.test_client()
    assert other_session.post(
        f"/images/{image.pk}/delete", data={"csrf_token": csrf_from(html)}
    ).status_code == 403
    response = client.post(
        f"/images/{image.pk}/delete?camera=garden", data={"csrf_token": csrf_from(html)}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/?camera=garden"
    assert not r.exists(catalogue.key(image.pk))
    assert "Picture deleted." in client.get("/?camera=garden").get_data(as_text=True)
    assert client.get(f"/images/{image.pk}").status_code == 404


def test_unknown_or_invalid_ids_are_a_friendly_404(client):
    for path in ("/images/nope", "/images/01ARZ3NDEKTSV4RRFFQ69G5FAV", "/images/1/keep"):
        response = client.get(path)
        assert response.status_code in (404, 405)
        assert "Traceback" not in response.get_data(as_text=True)
    response = client.get("/images/01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert "There is no picture" in response.get_data(as_text=True)
