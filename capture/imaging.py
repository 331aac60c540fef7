"""Pixel work shared by the cameras and the importer: JPEG encoding, thumbnails, YUV."""

from __future__ import annotations

import io

import numpy as np
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


def yuv420_to_rgb(planes: np.ndarray, width: int, height: int) -> np.ndarray:
    """RGB from a planar YUV420 buffer shaped (height * 3 / 2, stride), as picamera2 gives it.

    Chroma planes follow the luma plane with half the stride; BT.601 full-range
    coefficients, which is what libcamera's JPEG-style YUV420 uses.
    """
    stride = planes.shape[1]
    luma = planes[:height, :width].astype(np.float32)
    chroma = planes[height:].reshape(-1)
    quarter = (height // 2) * (stride // 2)
    u = chroma[:quarter].reshape(height // 2, stride // 2)[:, : width // 2]
    v = chroma[quarter : 2 * quarter].reshape(height // 2, stride // 2)[:, : width // 2]
    u = np.repeat(np.repeat(u.astype(np.float32) - 128, 2, axis=0), 2, axis=1)[:height, :width]
    v = np.repeat(np.repeat(v.astype(np.float32) - 128, 2, axis=0), 2, axis=1)[:height, :width]
    rgb = np.stack(
        (luma + 1.402 * v, luma - 0.344136 * u - 0.714136 * v, luma + 1.772 * u), axis=-1
    )
    return np.clip(rgb, 0, 255).astype(np.uint8)

