"""Retention at a glance: each card's expiry, and the "expiring within a day" filter."""

from __future__ import annotations

import time


def test_cards_say_when_pictures_expire(client, add_picture):
    add_picture(0, expires_at=time.time() + 3 * 86400 + 60)
    add_picture(60, expires_at=None)
    html = client.get("/").get_data(as_text=True)
    assert '<span class="expiry" title="Expires at' in html and "expires in 3 days" in html
    assert '<span class="expiry kept">kept</span>' in html


def test_expiring_within_a_day_filter(client, add_picture):
    soon = add_picture(0, expires_at=time.time() + 3600)
    add_picture(60, expires_at=time.time() + 5 * 86400)
    add_picture(120, expires_at=None)
    body = client.get("/api/images?expiring=24h").get_json()
    assert [image["id"] for image in body["images"]] == [soon.pk]
    assert "@expires_at:[-inf " in body["query"]
    assert [i["id"] for i in client.get("/api/images?expiring=1d").get_json()["images"]] == [
        soon.pk
    ]
    assert len(client.get("/api/images?expiring=6d").get_json()["images"]) == 2
    page = client.get("/?expiring=24h").get_data(as_text=True)
    assert 'name="expiring" value="24h" aria-describedby="error-expiring" checked' in page
    assert client.get("/api/timeline?expiring=24h").get_json()["total"] == 1
    for bad in ("soon", "0h", "99999d"):
        response = client.get(f"/api/images?expiring={bad}")
        assert response.status_code == 400 and "duration" in response.get_json()["error"]
