"""The Image model: what a picture's hash holds, with validation.

The model is a redis-om `HashModel`, so the contract reads as one class and every
value is validated by pydantic before it is written. We go around redis-om for
persistence (see README, "Where we go around redis-om"): the same hash carries raw
JPEG bytes, which redis-om's readers cannot decode and its writer would base64
(+33 %), and the TTL must be set in the same transaction as the write.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import ValidationError, field_validator
from redis_om import HashModel

from .catalogue import DEFAULT_CATALOGUE
from .ids import id_timestamp, validate_image_id

log = logging.getLogger(__name__)
_REPORTED: set[tuple[str, str]] = set()
_MAX_REPORTED = 4096

CAMERA_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

IMAGE_DATA = "image_data"
THUMBNAIL = "thumbnail"
BINARY_FIELDS = (IMAGE_DATA, THUMBNAIL)


class Trigger(StrEnum):
    INTERVAL = "interval"
    MOTION = "motion"
    SENSOR = "sensor"
    MANUAL = "manual"
    IMPORT = "import"


class Image(HashModel):
    """Metadata of one picture; `pk` is its image id and never stored as a field."""

    mime_type: str = "image/jpeg"
    timestamp: float
    lux: float | None = None
    camera: str | None = None
    trigger: str | None = None
    width: int | None = None
    height: int | None = None
    time_of_day: int | None = None
    utc_offset: int | None = None
    expires_at: float | None = None
    checksum: str | None = None
    exposure_time: int | None = None
    analogue_gain: float | None = None
    colour_temperature: int | None = None
    lens_position: float | None = None
    blob_store: str | None = None
    blob_key: str | None = None
    blob_size: int | None = None
    clock_suspect: bool | None = None
    """True when the picture reached Redis after the end of its retention by the server's
    clock: the camera's clock was behind, or it waited in the spool longer than IMAGE_TTL.
    Its expiry then counts from its arrival (`capture.durable`)."""

    METADATA_FIELDS: ClassVar[tuple[str, ...]] = (
        "mime_type",
        "timestamp",
        "lux",
        "camera",
        "trigger",
        "width",
        "height",
        "time_of_day",
        "utc_offset",
        "expires_at",
        "checksum",
        "exposure_time",
        "analogue_gain",
        "colour_temperature",
        "lens_position",
        "blob_store",
        "blob_key",
        "blob_size",
        "clock_suspect",
    )
    BLOB_REFERENCE: ClassVar[tuple[str, ...]] = ("blob_store", "blob_key", "blob_size")
    """Where the original is when it is not the hash's `image_data` (see `originals`)."""

    class Meta:
        global_key_prefix = ""
        model_key_prefix = DEFAULT_CATALOGUE.prefix.rstrip(":")
        index_name = DEFAULT_CATALOGUE.index

    @classmethod
    def make_key(cls, part: str) -> str:
        """`image:<id>`, not redis-om's `:image:<id>`, so seed keys stay ours."""
        return DEFAULT_CATALOGUE.key(part)

    @field_validator("pk")
    @classmethod
    def _pk_is_image_id(cls, value: str) -> str:
        return validate_image_id(value)

    @field_validator(
        "timestamp", "lux", "expires_at", "analogue_gain", "lens_position", mode="after"
    )
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        """NaN and infinities are no measurement, and JSON cannot carry them."""
        if value is not None and not math.isfinite(value):
            raise ValueError("not a finite number")
        return value

    @field_validator("camera")
    @classmethod
    def _camera_is_plain(cls, value: str | None) -> str | None:
        if value is not None and not CAMERA_PATTERN.fullmatch(value):
            raise ValueError(
                "camera ids are 1-64 letters, digits, '.', '_' or '-', starting alphanumeric"
            )
        return value

    @field_validator("trigger")
    @classmethod
    def _trigger_is_known(cls, value: str | None) -> str | None:
        return None if value is None else Trigger(value).value

    def to_fields(self) -> dict[str, str]:
        """The hash fields to write: set values only, as strings Redis stores verbatim."""
        fields: dict[str, str] = {}
        for name in self.METADATA_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool):
                fields[name] = "1" if value else "0"
            else:
                fields[name] = repr(value) if isinstance(value, float) else str(value)
        return fields

    @classmethod
    def from_fields(cls, image_id: str, fields: Mapping[Any, Any]) -> Image:
        """Build from a hash read with HMGET/HGETALL (bytes or str; binary fields ignored).

        Leniently, because one hand-written hash must not break a page: an invalid
        optional value reads as None (logged once per picture and field), and a
        missing or invalid timestamp is taken from the id.
        """
        values: dict[str, Any] = {}
        for raw_name, value in fields.items():
            if value is None or value in (b"", ""):
                continue
            name = raw_name.decode() if isinstance(raw_name, bytes) else raw_name
            if name in _METADATA:
                values[name] = value.decode(errors="replace") if isinstance(value, bytes) else value
        if "timestamp" not in values:
            values["timestamp"] = id_timestamp(image_id)
        while True:
            try:
                return cls(pk=image_id, **values)
            except ValidationError as exc:
                bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
                if not bad & values.keys():
                    raise
                for name in bad & values.keys():
                    _report(image_id, name, values.pop(name))
                values.setdefault("timestamp", id_timestamp(image_id))


_METADATA = frozenset(Image.METADATA_FIELDS)


def _report(image_id: str, name: str, value: object) -> None:
    """Log an unreadable field the first time it is seen, not on every page that shows it."""
    if (image_id, name) in _REPORTED:
        return
    if len(_REPORTED) >= _MAX_REPORTED:
        _REPORTED.clear()
    _REPORTED.add((image_id, name))
    log.warning("image %s: ignoring invalid %s %.60r", image_id, name, value)
