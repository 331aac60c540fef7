"""Pixel work shared by the cameras and the importer: JPEG encoding and thumbnails."""

from __future__ import annotations

import io

from PIL import Image as PILImage

THUMBNAIL_QUALITY = 75


def encode_jpeg(picture: PILImage.Image, quality: int) -> bytes:
    out = io.BytesIO()
    picture.convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


def make_thumbnail(picture: PILImage.Image, long_edge: int) -> bytes:
    """A JPEG whose longer side is at most `long_edge` px: what a gallery grid downloads."""
    small = picture.convert("RGB")
    small.thumbnail((long_edge, long_edge), PILImage.Resampling.BILINEAR, reducing_gap=2.0)
    return encode_jpeg(small, THUMBNAIL_QUALITY)
