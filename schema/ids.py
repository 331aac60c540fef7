"""Image ids: collision-free, time-ordered, URL-safe, and strictly validated.

A new id is a ULID: 48 bits of capture time in milliseconds and 80 random bits,
written in Crockford's base32 (26 characters, no padding, no ambiguous letters).
Ids sort in capture order as plain strings, two cameras or a burst within one
millisecond cannot collide, and the id carries no user text. Ids written by the
seed project (`image:<unix seconds>`) are accepted too, so its hashes stay readable.
"""

from __future__ import annotations

import re
import secrets
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_PATTERN = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")
SEED_ID_PATTERN = re.compile(r"[0-9]{1,12}")
_RANDOM_BITS = 80
_MAX_RANDOM = (1 << _RANDOM_BITS) - 1


class InvalidImageId(ValueError):
    """Raised before any key is built from a string that is not an image id."""


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def _decode(text: str) -> int:
    value = 0
    for char in text:
        value = value * 32 + _ALPHABET.index(char)
    return value


class IdGenerator:
    """Makes ULIDs that stay strictly increasing within one process.

    Within one millisecond the random part is incremented instead of redrawn, so a
    burst from one camera keeps its order while ids from other cameras stay unique.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_random = 0

    def new(self, at: float | None = None) -> str:
        ms = int((time.time() if at is None else at) * 1000)
        if not 0 <= ms < 1 << 48:
            raise ValueError(f"timestamp out of range for an image id: {at!r}")
        with self._lock:
            if ms == self._last_ms and self._last_random < _MAX_RANDOM:
                self._last_random += 1
            else:
                self._last_random = secrets.randbits(_RANDOM_BITS)
            self._last_ms = ms
            random_part = self._last_random
        return _encode(ms, 10) + _encode(random_part, 16)


_default_generator = IdGenerator()


def new_image_id(at: float | None = None) -> str:
    """A fresh id for a picture taken at Unix time `at` (now when omitted)."""
    return _default_generator.new(at)


def content_image_id(at: float, sha256_hex: str) -> str:
    """The id of a picture known by its content: its time, then 80 bits of its sha256.

    Importing the same file twice, even in two runs at once, then names the same hash,
    which the second write only rewrites: no duplicate can appear.
    """
    ms = int(at * 1000)
    if not 0 <= ms < 1 << 48:
        raise ValueError(f"timestamp out of range for an image id: {at!r}")
    return _encode(ms, 10) + _encode(int(sha256_hex[:20], 16), 16)


def is_valid_image_id(text: str) -> bool:
    return isinstance(text, str) and bool(
        ULID_PATTERN.fullmatch(text) or SEED_ID_PATTERN.fullmatch(text)
    )


def validate_image_id(text: str) -> str:
    """Return `text` if it is an image id, else raise `InvalidImageId`."""
    if not is_valid_image_id(text):
        shown = text if isinstance(text, str) and len(text) <= 40 else f"{str(text)[:40]}..."
        raise InvalidImageId(f"not an image id: {shown!r}")
    return text


def id_timestamp(image_id: str) -> float:
    """The capture time an id encodes (seed ids are Unix seconds)."""
    validate_image_id(image_id)
    if SEED_ID_PATTERN.fullmatch(image_id):
        return float(image_id)
    return _decode(image_id[:10]) / 1000
