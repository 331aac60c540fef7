"""Stored values in human units, for templates: lux, exposure, gain, colour, focus.

Times are rendered as UTC ISO 8601 in `<time datetime>`; the browser rewrites them
in the viewer's own zone, so the server never guesses where the viewer is.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime


def iso_utc(timestamp: float) -> str:
    """`2026-11-26T06:15:00Z`, the machine-readable time the browser localises."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds").replace(
        "+00:00", "Z"
    )


def utc_text(timestamp: float) -> str:
    """The fallback text shown before (or without) JavaScript."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def lux(value: float | None) -> str:
    if value is None:
        return "no lux"
    if value >= 100:
        return f"{value:,.0f} lx"
    return f"{value:.1f} lx" if value >= 1 else f"{value:.2f} lx"


def exposure(microseconds: int | None) -> str:
    """`1/120 s (8,333 µs)`; photographers read shutter speeds as fractions."""
    if microseconds is None:
        return ""
    if microseconds <= 0:
        return f"{microseconds} µs"
    seconds = microseconds / 1_000_000
    shutter = f"1/{round(1 / seconds):,} s" if seconds < 0.5 else f"{seconds:.2g} s"
    return f"{shutter} ({microseconds:,} µs)"


def gain(value: float | None) -> str:
    """`x1.50 (ISO ≈ 150)`: analogue gain 1.0 is roughly ISO 100 on Pi sensors."""
    if value is None:
        return ""
    return f"\N{MULTIPLICATION SIGN}{value:.2f} (ISO ≈ {round(value * 100)})"


def kelvin(value: int | None) -> str:
    return "" if value is None else f"{value:,} K"


def dioptres(value: float | None) -> str:
    """Lens position in dioptres, with the focus distance it means (1/dioptres metres)."""
    if value is None:
        return ""
    if value <= 0 or math.isclose(value, 0):
        return f"{value:.2f} dioptres (infinity)"
    distance = 1 / value
    shown = f"{distance * 100:.0f} cm" if distance < 1 else f"{distance:.1f} m"
    return f"{value:.2f} dioptres (focus ≈ {shown})"


def time_of_day(seconds: int | None) -> str:
    """Seconds after local midnight as `06:15`."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours:02d}:{rest // 60:02d}"


def utc_offset(seconds: int | None) -> str:
    if seconds is None:
        return ""
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    return f"UTC{sign}{hours:02d}:{rest // 60:02d}"


def duration(seconds: float) -> str:
    """Roughly how long: `3 days`, `5 hours`, `12 minutes`."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def expiry(expires_at: float | None, now: float) -> str:
    """What a card says about retention: `expires in 3 days`, or `kept` when it never will."""
    if expires_at is None:
        return "kept"
    left = expires_at - now
    return f"expires in {duration(left)}" if left > 0 else "expiring now"


FILTERS = {
    "iso_utc": iso_utc,
    "utc_text": utc_text,
    "lux": lux,
    "exposure": exposure,
    "gain": gain,
    "kelvin": kelvin,
    "dioptres": dioptres,
    "time_of_day": time_of_day,
    "utc_offset": utc_offset,
    "duration": duration,
}
