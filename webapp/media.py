"""What the gallery may claim a stored blob is, and how it names and shrinks one.

A hash's `mime_type` is written by whoever wrote the hash, so it is only trusted
when it is one of a few image types; anything else (say `text/html`) is served as
an opaque download, never rendered.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from picat.schema import Image

SERVED_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
}
OPAQUE_TYPE = "application/octet-stream"
THUMBNAIL_BOX = (480, 360)
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def served_type(mime_type: str | None) -> str:
    """The stored type if it is an allowed image type, else an opaque download."""
    value = (mime_type or "").split(";")[0].strip().lower()
    return value if value in SERVED_TYPES else OPAQUE_TYPE


def sniffed_type(data: bytes) -> str:
    """The image type a blob's first bytes announce (thumbnails carry no mime_type)."""
    for magic, mime_type in _MAGIC:
        if data.startswith(magic):
            return mime_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return OPAQUE_TYPE


def utc_moment(timestamp: float) -> datetime:
    """A stored time as a UTC datetime, held to what datetime can show (years 1-9999):
    a hand-written hash may say anything, and a name must still come out."""
    return datetime.fromtimestamp(min(max(timestamp, -62135596800.0), 253402300799.0), UTC)


def download_name(image: Image) -> str:
    """E.g. `garden-20261126-061500.jpg`: camera and UTC capture time, sortable."""
    taken = utc_moment(image.timestamp).strftime("%Y%m%d-%H%M%S")
    extension = SERVED_TYPES.get(served_type(image.mime_type), "bin")
    return f"{image.camera or 'picture'}-{taken}.{extension}"


class TooLarge(ValueError):
    """A picture the gallery will not decode: its pixels would cost too much memory."""


def make_thumbnail(image_data: bytes, max_pixels: int) -> bytes | None:
    """A small JPEG of a full image (for hashes written without one), None if undecodable.

    JPEGs are decoded reduced (libjpeg's DCT scaling, down to 1/8 a side) so only the
    reduced size counts against `max_pixels`; other formats decode in full, so their
    whole size does. Above it, TooLarge: 13000x13000 pixels would take 1.4 GB.
    """
    try:
        with PILImage.open(io.BytesIO(image_data)) as picture:
            picture.draft("RGB", THUMBNAIL_BOX)
            width, height = picture.size
            if width * height > max_pixels:
                raise TooLarge(f"{width}x{height} pixels")
            small = picture.convert("RGB")
            small.thumbnail(THUMBNAIL_BOX)
    except TooLarge:
        raise
    except (UnidentifiedImageError, OSError, ValueError, PILImage.DecompressionBombError):
        return None
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()
