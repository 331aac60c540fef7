"""Redis replies as text, whichever way the client decodes them."""

from __future__ import annotations


def text(value: object) -> str:
    """A reply as `str`: bytes decoded, None as "" (a field or setting that is absent)."""
    if isinstance(value, bytes):
        return value.decode()
    return "" if value is None else str(value)
