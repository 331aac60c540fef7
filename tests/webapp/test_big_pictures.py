"""Pictures too large to serve or to decode are a clear 422, and memory stays bounded."""

from __future__ import annotations

import io
import logging

import pytest
from PIL import Image as PILImage

from picat.schema import Catalogue, connect, index

from ..factories import jpeg, make_app, save_seed_picture


def _png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    PILImage.new("L", size, 128).save(out, "PNG")
    return out.getvalue()


def test_a_picture_above_the_size_limit_is_a_422_not_a_copy_in_memory(
    client, app, add_seed_picture
):
    app.config["PICAT_MAX_PICTURE_BYTES"] = 2**20
    seconds = 1_790_000_000
    add_seed_picture(seconds, data=b"\xff\xd8\xff" + b"\0" * (2 * 2**20))
    for path in ("image", "download", "thumbnail"):
        response = client.get(f"/images/{seconds}/{path}", headers={"Range": "bytes=0-99"})
        assert response.status_code == 422, path
        assert "PICAT_MAX_PICTURE_MB" in response.get_data(as_text=True)


def test_a_thumbnail_of_too_many_pixels_is_refused_before_decoding(
    client, app, add_seed_picture
):
    app.config["PICAT_MAX_PICTURE_PIXELS"] = 4 * 10**6
    add_seed_picture(1_790_000_001, data=_png((2500, 2000)), mime_type="image/png")
    response = client.get("/images/1790000001/thumbnail")
    assert response.status_code == 422
    assert "PICAT_MAX_PICTURE_MEGAPIXELS" in response.get_data(as_text=True)
    assert client.get("/images/1790000001/image").status_code == 200  # small file: served


def test_a_large_jpeg_thumbnail_is_made_from_a_reduced_decode(client, app, add_seed_picture):
    """5000x4000 is 20 megapixels, but decoded at 1/8 a side it is 0.3: allowed."""
    app.config["PICAT_MAX_PICTURE_PIXELS"] = 4 * 10**6
    add_seed_picture(1_790_000_002, data=jpeg((10, 90, 30), (5000, 4000), quality=50))
    assert client.get("/images/1790000002/thumbnail").status_code == 200


def test_thumbnail_refused_by_maxmemory_is_served_and_logs_no_bytes(
    embedded_redis, add_seed_picture, caplog: pytest.LogCaptureFixture
):
    server = embedded_redis()
    private = connect(server.url)
    catalogue = Catalogue()
    index.apply(private, catalogue)
    save_seed_picture(
        private, catalogue, 1_790_000_003, data=jpeg((200, 30, 30), (640, 480), quality=75)
    )
    private.config_set("maxmemory", "1")
    client = make_app(server.url, catalogue).test_client()
    with caplog.at_level(logging.WARNING):
        response = client.get("/images/1790000003/thumbnail")
    assert response.status_code == 200 and response.data.startswith(b"\xff\xd8")
    assert "not stored" in caplog.text and "maxmemory" in caplog.text
    assert "\\xff\\xd8" not in caplog.text and "xff" not in caplog.text
