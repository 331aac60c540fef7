"""The JSON API: same filters as the gallery, keyset cursors, errors as {"error": ...}."""

from __future__ import annotations

from datetime import UTC, datetime

from ..factories import BASE_TIME, make_app


def _ids(response) -> list[str]:
    return [image["id"] for image in response.get_json()["images"]]


def test_lists_pictures_with_urls_and_the_query(client, add_picture):
    image = add_picture(lux=42.5, camera="feeder", exposure_time=8333)
    body = client.get("/api/images").get_json()
    assert body["next_cursor"] is None
    assert body["query"].startswith("FT.SEARCH ")
    (item,) = body["images"]
    assert item["id"] == image.pk
    assert item["lux"] == 42.5
    assert item["camera"] == "feeder"
    assert item["exposure_time"] == 8333
    assert item["mime_type"] == "image/jpeg"
    assert (item["width"], item["height"]) == (64, 48)
    assert item["thumbnail_url"] == f"/images/{image.pk}/thumbnail"
    assert item["image_url"] == f"/images/{image.pk}/image"
    assert item["kept"] is False


def test_filters_sort_and_cursor_paging_without_gaps(client, add_picture):
    made = [add_picture(i * 60, lux=float(i * 10)) for i in range(7)]
    bright = {image.pk for image in made if image.lux >= 20}
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        response = client.get(f"/api/images?lux_min=20&sort=darkest&limit=2&cursor={cursor}")
        assert response.status_code == 200
        seen += _ids(response)
        cursor = response.get_json()["next_cursor"]
        if cursor is None:
            break
    assert set(seen) == bright and len(seen) == len(bright)
    luxes = [next(i.lux for i in made if i.pk == pk) for pk in seen]
    assert luxes == sorted(luxes)


def test_from_and_to_accept_iso_with_or_without_offset_and_unix_seconds(client, add_picture):
    early, late = add_picture(0), add_picture(3600)
    iso = datetime.fromtimestamp(BASE_TIME + 1800, UTC)
    for value in (
        str(int(BASE_TIME + 1800)),
        iso.isoformat(),
        iso.replace(tzinfo=None).isoformat(),
        iso.astimezone().isoformat(),
    ):
        assert _ids(client.get("/api/images", query_string={"from": value})) == [late.pk], value
        assert _ids(client.get("/api/images", query_string={"to": value})) == [early.pk], value


def test_naive_times_are_read_in_tz(client, add_picture):
    picture = add_picture(0)
    naive_utc = datetime.fromtimestamp(BASE_TIME - 60, UTC).replace(tzinfo=None).isoformat()
    assert _ids(client.get(f"/api/images?from={naive_utc}")) == [picture.pk]
    # The same wall-clock time in Tokyo (UTC+9) is nine hours earlier in absolute time.
    assert _ids(client.get(f"/api/images?to={naive_utc}&tz=Asia/Tokyo")) == []


def test_bad_parameters_are_400_with_an_error(client):
    for query, word in (
        ("lux_min=abc", "number"),
        ("limit=0", "page size"),
        ("limit=101", "page size"),
        ("sort=sideways", "sort"),
        ("from=2026-02-01&to=2026-01-01", "before"),
        ("tod_from=25:00", "time of day"),
        ("camera=<script>", "camera"),
        ("tz=Mars/Olympus", "time zone"),
        ("cursor=forged.token", ""),
    ):
        response = client.get(f"/api/images?{query}")
        assert response.status_code == 400, query
        assert response.mimetype == "application/json"
        assert word in response.get_json()["error"], (query, response.get_json())


def test_one_picture_and_404s(client, add_picture):
    image = add_picture(colour_temperature=5600)
    body = client.get(f"/api/images/{image.pk}").get_json()
    assert body["id"] == image.pk
    assert body["colour_temperature"] == 5600
    assert body["download_url"] == f"/images/{image.pk}/download"
    for path in ("/api/images/nope", "/api/images/01ARZ3NDEKTSV4RRFFQ69G5FAV"):
        response = client.get(path)
        assert response.status_code == 404
        assert "error" in response.get_json()


def test_healthz_reports_redis_and_index(client, add_picture):
    add_picture()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["redis"] == "ok"
    assert body["index_state"] == "ready"
    assert body["documents"] == 1


def test_healthz_says_when_the_index_is_missing(redis_url, bare_catalogue):
    client = make_app(redis_url, bare_catalogue, testing=False).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "missing" in response.get_json()["index_state"]
    page = client.get("/")
    assert page.status_code == 503
    assert "picat schema apply" in page.get_data(as_text=True)


def test_time_of_day_window_across_midnight(client, add_picture):
    late = add_picture(0, time_of_day=23 * 3600)
    early = add_picture(60, time_of_day=1 * 3600)
    add_picture(120, time_of_day=12 * 3600)
    ids = _ids(client.get("/api/images?tod_from=22:00&tod_to=02:00&sort=oldest"))
    assert ids == [late.pk, early.pk]


def test_a_cursor_is_a_position_that_must_fit_the_order(client, add_picture):
    for i in range(3):
        add_picture(i * 60, lux=100.0 + i)
    cursor = client.get("/api/images?limit=1&lux_min=50").get_json()["next_cursor"]
    assert client.get(f"/api/images?limit=1&lux_min=50&cursor={cursor}").status_code == 200
    # The same position in a narrower view simply continues after it.
    assert client.get(f"/api/images?limit=1&lux_min=60&cursor={cursor}").status_code == 200
    other = client.get(f"/api/images?limit=1&sort=brightest&cursor={cursor}")
    assert other.status_code == 400
    assert other.get_json()["error"].startswith("cursor")
