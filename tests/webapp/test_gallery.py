"""The gallery page and its htmx fragments, through Flask's test client."""

from __future__ import annotations

import re

HX = {"HX-Request": "true", "HX-Target": "results"}


def _cards(html: str) -> list[str]:
    return re.findall(r'id="card-([0-9A-Z]+)"', html)


def test_gallery_shows_thumbnails_never_full_images(client, add_picture):
    images = [add_picture(i * 60, lux=float(i)) for i in range(3)]
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _cards(html) == [image.pk for image in reversed(images)]
    assert html.count("/thumbnail\"") == 3
    assert "/image\"" not in html
    assert 'datetime="' in html and "2.0 lx" in html and "garden" in html
    assert "FT.SEARCH" in html


def test_no_inline_script_or_style_anywhere(client, add_picture):
    image = add_picture()
    for path in ("/", f"/images/{image.pk}", "/?lux_min=abc", "/images/nope"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        policy = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], path
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path
        assert "https://" not in html and "http://" not in html, path


def test_bad_parameter_is_a_400_with_the_message_next_to_the_field(client, add_picture):
    add_picture()
    response = client.get("/?lux_min=abc")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(
        r'name="lux_min"[^>]*value="abc">\s*<output id="error-lux_min"[^>]*>&#39;abc&#39; is not',
        html,
    )
    assert _cards(html) == []
    response = client.get("/?from=2026-02-01T00:00&to=2026-01-01T00:00")
    assert response.status_code == 400
    assert re.search(r'<output id="error-to"[^>]*>.*before', response.get_data(as_text=True))
    response = client.get("/?tz=Not/AZone")
    assert response.status_code == 400
    assert re.search(r'<output id="error-other"[^>]*>.*time zone', response.get_data(as_text=True))


def test_results_fragment_pushes_a_shareable_url_and_updates_field_errors(client, add_picture):
    add_picture(lux=5.0)
    bright = add_picture(60, lux=500.0)
    response = client.get(
        "/results?tz=Europe/Berlin&from=&to=&lux_min=100&lux_max=&camera=&sort=newest", headers=HX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"] == "/?lux_min=100"
    assert _cards(html) == [bright.pk]
    assert '<output id="error-lux_min" class="field-error" hx-swap-oob="true"></output>' in html
    assert "<form id=\"filters\"" not in html  # the filters stay; the selection form is new
    bad = client.get("/results?lux_min=abc&tz=Europe/Berlin", headers=HX)
    assert bad.status_code == 400
    assert bad.headers["HX-Push-Url"] == "/?lux_min=abc"  # a reload shows the same message
    assert 'id="error-lux_min" class="field-error" hx-swap-oob="true">&#39;abc' in bad.get_data(
        as_text=True
    )


def test_shared_url_keeps_local_times_readable(client, add_picture):
    add_picture()
    response = client.get("/results?from=2025-01-01T06:00&tz=Europe/Berlin", headers=HX)
    assert response.headers["HX-Push-Url"] == "/?from=2025-01-01T06%3A00&tz=Europe%2FBerlin"
    page = client.get("/?from=2025-01-01T06:00&tz=Europe/Berlin").get_data(as_text=True)
    assert re.search(r'name="from"[^>]*value="2025-01-01T06:00"', page)
    assert 'name="tz" value="Europe/Berlin"' in page
    utc = client.get("/?from=1735711200").get_data(as_text=True)  # 2025-01-01T06:00Z
    assert re.search(r'name="from"[^>]*value="2025-01-01T06:00"', utc)
    assert 'name="tz" value="UTC"' in utc
    assert 'name="tz" value=""' in client.get("/").get_data(as_text=True)


def test_load_more_follows_the_cursor_to_the_end(client, add_picture):
    made = [add_picture(i * 60) for i in range(5)]
    html = client.get("/?limit=2").get_data(as_text=True)
    seen = _cards(html)
    for _ in range(5):
        match = re.search(r'hx-get="(/more\?[^"]+)"', html)
        if not match:
            break
        html = client.get(match.group(1).replace("&amp;", "&"), headers=HX).get_data(as_text=True)
        seen += _cards(html)
        assert 'hx-swap-oob="beforeend:#query-commands"' in html
    assert seen == [image.pk for image in reversed(made)]
    assert "The end" in html


def test_forged_cursor_is_a_clear_400(client, add_picture):
    add_picture()
    response = client.get("/more?cursor=abc.def", headers=HX)
    assert response.status_code == 400
    assert "Start again" in response.get_data(as_text=True)
    assert client.get("/?cursor=abc.def").status_code == 400


def test_count_and_new_banner(client, add_picture):
    first = add_picture(0, lux=300.0)
    add_picture(60, lux=1.0)
    html = client.get("/count?lux_min=100", headers=HX).get_data(as_text=True)
    assert "1 picture matches" in html
    quiet = client.get(f"/new?lux_min=100&since={first.timestamp}", headers=HX)
    assert quiet.get_data(as_text=True).strip() == ""
    add_picture(120, lux=400.0)
    add_picture(180, lux=500.0)
    banner = client.get(f"/new?lux_min=100&since={first.timestamp}", headers=HX)
    banner = banner.get_data(as_text=True)
    assert "2 new pictures" in banner
    assert 'hx-get="/results?lux_min=100"' in banner
    assert client.get("/new?since=nan", headers=HX).status_code == 400


def test_banner_starts_from_the_newest_picture_shown(client, add_picture):
    newest = add_picture(600)
    html = client.get("/").get_data(as_text=True)
    assert f"since={newest.timestamp!r}" in html


def test_empty_states_say_why(client, add_picture):
    html = client.get("/").get_data(as_text=True)
    assert "No pictures yet" in html
    add_picture(lux=5.0, camera="garden")
    html = client.get("/?lux_min=1000&camera=feeder").get_data(as_text=True)
    assert "No pictures match" in html
    assert "with at least 1000 lx" in html and "by camera feeder" in html


def test_kept_pictures_are_marked(client, add_picture):
    kept = add_picture(expires_at=None)
    add_picture(60)
    html = client.get("/").get_data(as_text=True)
    cards = html.split('class="card"')
    marked = [card for card in cards if "Kept" in card]
    assert len(marked) == 1 and kept.pk in marked[0]


def test_every_view_links_its_json_twin(client, add_picture):
    for i in range(4):
        add_picture(i * 60, lux=float(i * 100))
    html = client.get("/?lux_min=100&sort=darkest").get_data(as_text=True)
    link = re.search(r'class="json-link" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert link == "/api/images?lux_min=100&sort=darkest"
    twin = [image["id"] for image in client.get(link).get_json()["images"]]
    assert twin == _cards(html)
