"""Image responses: allow-listed types, nosniff, immutable caching, ETag, HEAD, 304, thumbnails."""

from __future__ import annotations

import io

import redis
from PIL import Image as PILImage

from picat.schema import THUMBNAIL, Catalogue


def test_full_image_is_served_with_its_type_and_cache_headers(client, add_picture):
    image = add_picture()
    response = client.get(f"/images/{image.pk}/image")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data[:3] == b"\xff\xd8\xff"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["ETag"] == f'"{image.pk}-image"'
    assert "Content-Disposition" not in response.headers


def test_revalidation_is_a_304_and_head_has_no_body(client, add_picture):
    image = add_picture()
    etag = client.get(f"/images/{image.pk}/image").headers["ETag"]
    cached = client.get(f"/images/{image.pk}/image", headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.data == b""
    assert cached.headers["ETag"] == etag
    head = client.head(f"/images/{image.pk}/image")
    assert head.status_code == 200
    assert head.data == b""
    assert int(head.headers["Content-Length"]) == len(client.get(f"/images/{image.pk}/image").data)
    stale = client.get(f"/images/{image.pk}/image", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200
    part = client.get(f"/images/{image.pk}/image", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206
    assert part.data == stale.data[:10]


def test_a_stored_html_type_is_never_served_as_html(client, add_picture):
    image = add_picture(mime_type="text/html", data=b"<script>alert(1)</script>")
    response = client.get(f"/images/{image.pk}/image")
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = client.get(f"/images/{image.pk}").get_data(as_text=True)
    assert "does not display" in page
    assert f'src="/images/{image.pk}/image"' not in page


def test_download_is_an_attachment_named_after_camera_and_time(client, add_picture):
    image = add_picture(camera="feeder", timestamp=1_764_137_700.0)
    response = client.get(f"/images/{image.pk}/download")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="feeder-20251126-061500.jpg"'
    )


def test_thumbnail_stored_at_capture_is_served(client, add_picture):
    image = add_picture()
    response = client.get(f"/images/{image.pk}/thumbnail")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert PILImage.open(io.BytesIO(response.data)).size == (32, 24)
    assert response.headers["ETag"] == f'"{image.pk}-thumbnail"'


def test_seed_hash_gets_a_thumbnail_made_once_and_stored(
    client, r: redis.Redis, catalogue: Catalogue, add_seed_picture
):
    seed_id = add_seed_picture(1681843615)
    key = catalogue.prefix + seed_id
    assert r.hget(key, THUMBNAIL) is None
    first = client.get(f"/images/{seed_id}/thumbnail")
    assert first.status_code == 200
    assert first.mimetype == "image/jpeg"
    stored = r.hget(key, THUMBNAIL)
    assert stored == first.data
    assert PILImage.open(io.BytesIO(stored)).size == (320, 240)
    assert r.ttl(key) == -1  # adding the thumbnail did not give the seed hash an expiry
    again = client.get(f"/images/{seed_id}/thumbnail")
    assert again.data == stored


def test_undecodable_seed_image_has_no_thumbnail(client, add_seed_picture):
    seed_id = add_seed_picture(1681843700, data=b"not a picture")
    response = client.get(f"/images/{seed_id}/thumbnail")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


def test_invalid_or_unknown_ids_are_404(client):
    for path in ("/images/..%2F..%2Fetc/image", "/images/not-an-id/thumbnail",
                 "/images/01ARZ3NDEKTSV4RRFFQ69G5FAV/image", "/images/1681843615/download"):
        response = client.get(path)
        assert response.status_code == 404, path


def test_thumbnail_of_a_png_thumbnail_keeps_its_type(client, add_picture, r, catalogue):
    image = add_picture()
    out = io.BytesIO()
    PILImage.new("RGB", (8, 8)).save(out, "PNG")
    r.hset(catalogue.key(image.pk), THUMBNAIL, out.getvalue())
    assert client.get(f"/images/{image.pk}/thumbnail").mimetype == "image/png"
