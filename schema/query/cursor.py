"""Opaque, tamper-evident page cursors bound to the view they were made for.

A cursor holds where the last page ended (segment, sort values, image id), the
slab widths paging has learned and the lux values it is paging as crowds. It is
URL-safe base64 of compact JSON plus an HMAC-SHA256 over the payload and the view
(filters and sort), so an edited cursor, or one pasted into another view, is
rejected instead of running another query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from dataclasses import dataclass, field

from ..ids import is_valid_image_id
from .errors import QueryError
from .filters import Filters, Sort

_MAC_BYTES = 16
_MAX_LENGTH = 2048
_DOMAIN = b"picat query cursor v1\0"
_INVALID = (
    "this cursor is not valid for this view (edited, or made for other filters or sort): "
    "load the first page again"
)


@dataclass(frozen=True)
class Position:
    """The last picture shown: its segment of the order, its sort values and its id."""

    segment: int
    values: tuple[float, ...]
    image_id: str


@dataclass(frozen=True)
class CursorState:
    position: Position
    widths: dict[str, float] = field(default_factory=dict)
    crowds: dict[str, float] = field(default_factory=dict)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Decode, accepting only the one spelling `_b64` produces (spare bits must be zero)."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not the canonical spelling")
    return data


def _view(filters: Filters, sort: Sort) -> bytes:
    return json.dumps([sort.value, filters.to_params()], sort_keys=True).encode()


def _mac(secret: bytes, filters: Filters, sort: Sort, payload: bytes) -> bytes:
    if not secret:
        raise ValueError("a cursor secret is required")
    message = _DOMAIN + _view(filters, sort) + b"\0" + payload
    return hmac.new(secret, message, hashlib.sha256).digest()[:_MAC_BYTES]


def encode(state: CursorState, filters: Filters, sort: Sort, secret: bytes) -> str:
    pos = state.position
    payload = json.dumps(
        {
            "s": pos.segment, "v": list(pos.values), "i": pos.image_id, "w": state.widths,
            "c": state.crowds,
        },
        separators=(",", ":"), sort_keys=True, allow_nan=False,
    ).encode()
    return _b64(payload) + "." + _b64(_mac(secret, filters, sort, payload))


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def decode(token: str, filters: Filters, sort: Sort, secret: bytes) -> CursorState:
    """The state in `token`, or QueryError("cursor", ...) if it was not made for this view."""
    try:
        if len(token) > _MAX_LENGTH or token.count(".") != 1:
            raise ValueError
        body, tag = token.split(".")
        payload, mac = _unb64(body), _unb64(tag)
        if not hmac.compare_digest(mac, _mac(secret, filters, sort, payload)):
            raise ValueError
        data = json.loads(payload)
        segment, values, image_id = data["s"], data["v"], data["i"]
        widths, crowds = data["w"], data["c"]
        if not (
            isinstance(segment, int) and isinstance(values, list)
            and all(_finite(v) for v in values) and is_valid_image_id(image_id)
            and isinstance(widths, dict) and all(_finite(w) and w > 0 for w in widths.values())
            and isinstance(crowds, dict) and all(_finite(c) for c in crowds.values())
        ):
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise QueryError("cursor", _INVALID) from None
    position = Position(segment, tuple(float(v) for v in values), image_id)
    return CursorState(
        position,
        {str(k): float(w) for k, w in widths.items()},
        {str(k): float(c) for k, c in crowds.items()},
    )
