"""When an imported picture was taken and how bright it was, from what the file tells.

Time: EXIF `DateTimeOriginal` (with `OffsetTimeOriginal` and `SubSecTimeOriginal`
when present; without an offset it is read as this machine's local time), else the
file's modification time.

Brightness: from EXIF exposure when the file has `ExposureTime` and an ISO value,
as the scene illuminance an incident-light meter would show,
E = 2.5 * 2^EV100 lx with EV100 = log2(N^2 / t) - log2(ISO / 100), where N is
`FNumber` or f/2.0 (the Raspberry Pi camera modules' aperture) when missing.
Without exposure data it is estimated from the picture's mean luminance on a
logarithmic scale, black = 1 lx to white = 100,000 lx: good for "bright" versus
"dark", not a measurement.
"""

from __future__ import annotations

import contextlib
import math
from datetime import datetime, tzinfo
from pathlib import Path
from typing import NamedTuple

from PIL import ExifTags, ImageStat
from PIL import Image as PILImage

from picat.schema.clock import valid_capture_time

EARLIEST_YEAR, LATEST_YEAR = 1969, 2200
"""Years worth converting (a day either side of the valid range, whatever the zone)."""

DEFAULT_F_NUMBER = 2.0
LUMINANCE_DECADES = 5.0


def _exif_ifd(picture: PILImage.Image) -> dict[int, object]:
    try:
        return dict(picture.getexif().get_ifd(ExifTags.IFD.Exif))
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 ").strip() or None


class Taken(NamedTuple):
    """When a picture was taken, and the UTC offset of the camera's clock if the file says."""

    timestamp: float
    zone: tzinfo | None
    """From `OffsetTimeOriginal`: a photo taken at 07:00+09:00 keeps its 07:00 time of day
    whatever the zone of the machine that imports it. None: the file does not say."""
    note: str | None = None
    """Why the time is not the file's EXIF date, when it had one outside the valid range."""


class NoCaptureTime(ValueError):
    """Neither the EXIF date nor the file's time is a valid capture time."""


_RANGE = "1970-01-01 to 2199-12-31 UTC"


def exif_time(picture: PILImage.Image) -> Taken | None:
    """Time (and offset) from EXIF DateTimeOriginal, or None when absent or malformed."""
    exif = _exif_ifd(picture)
    original = _text(exif.get(ExifTags.Base.DateTimeOriginal))
    if original is None:
        return None
    try:
        taken = datetime.strptime(original, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if not EARLIEST_YEAR <= taken.year <= LATEST_YEAR:
        return Taken(math.nan, None, original)
    offset = _text(exif.get(ExifTags.Base.OffsetTimeOriginal))
    if offset:
        with contextlib.suppress(ValueError):
            taken = datetime.strptime(f"{original} {offset}", "%Y:%m:%d %H:%M:%S %z")
    subsec = _text(exif.get(ExifTags.Base.SubsecTimeOriginal))
    fraction = float(f"0.{subsec}") if subsec and subsec.isdigit() else 0.0
    try:
        stamp = taken.timestamp() if taken.tzinfo else taken.astimezone().timestamp()
    except (OverflowError, ValueError, OSError):
        return Taken(math.nan, None, original)
    stamp += fraction
    if not valid_capture_time(stamp):
        return Taken(math.nan, None, original)
    return Taken(stamp, taken.tzinfo)


def capture_time(picture: PILImage.Image, path: Path) -> Taken:
    """EXIF time, else the file's modification time (in this machine's zone).

    Only times in [EARLIEST, LATEST) are capture times; an EXIF date outside them (a
    camera whose clock said 9999 or 1904) is replaced by the file's time, with a note
    saying so, and a file with neither raises NoCaptureTime.
    """
    exif = exif_time(picture)
    if exif is not None and exif.note is None:
        return exif
    mtime = path.stat().st_mtime
    if exif is None:
        if not valid_capture_time(mtime):
            raise NoCaptureTime(f"its file time ({mtime:.0f}) is outside {_RANGE}, and it "
                                "has no EXIF date")
        return Taken(mtime, None)
    if not valid_capture_time(mtime):
        raise NoCaptureTime(f"neither its EXIF date ({exif.note}) nor its file time "
                            f"({mtime:.0f}) is within {_RANGE}")
    return Taken(mtime, None, f"EXIF date {exif.note} is outside {_RANGE}: the file's "
                              "modification time is used instead")


def _number(value: object) -> float | None:
    try:
        number = float(value[0] if isinstance(value, tuple) else value)  # type: ignore[arg-type, index]
    except (TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def exposure_lux(picture: PILImage.Image) -> float | None:
    """Scene illuminance from EXIF exposure time, aperture and ISO, or None without them."""
    exif = _exif_ifd(picture)
    seconds = _number(exif.get(ExifTags.Base.ExposureTime))
    iso = _number(exif.get(ExifTags.Base.ISOSpeedRatings))
    if seconds is None or iso is None:
        return None
    aperture = _number(exif.get(ExifTags.Base.FNumber)) or DEFAULT_F_NUMBER
    ev100 = math.log2(aperture**2 / seconds) - math.log2(iso / 100)
    return round(2.5 * 2**ev100, 1)


def luminance_lux(picture: PILImage.Image) -> float:
    """A rough illuminance from mean luminance: 1 lx for black to 100,000 lx for white."""
    mean = ImageStat.Stat(picture.convert("L").reduce(4)).mean[0]
    return round(10 ** (mean / 255 * LUMINANCE_DECADES), 1)


def estimated_lux(picture: PILImage.Image) -> float:
    lux = exposure_lux(picture)
    return lux if lux is not None else luminance_lux(picture)
