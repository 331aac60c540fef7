"""A zip of many pictures, streamed as it is written: memory stays at one batch of pictures.

`zipfile` writes into a sink that only collects bytes; after each picture the sink
is emptied into the response, so the archive is never held whole. The response stream
cannot seek, and `zipfile` handles that itself (data descriptors after each file).
Entries are `ZIP_STORED`: JPEGs do not shrink, and deflating them only costs CPU.

Originals kept in a folder or bucket are copied into the zip a chunk at a time
(`originals.CHUNK`), so they never add a whole picture to that; one whose blob is
missing, or whose store does not answer, is left out like a picture deleted meanwhile.
"""

from __future__ import annotations

import logging
import struct
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import redis

from picat.schema import IMAGE_DATA, Catalogue, Image, store
from picat.schema.originals import StoreUnavailable

from .media import SERVED_TYPES, served_type, utc_moment

log = logging.getLogger(__name__)

ZIP_BATCH = 50


class _Sink:
    """A write-only, unseekable file that hands its bytes over when asked."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._written = 0

    def write(self, data: bytes) -> int:
        self._parts.append(data if isinstance(data, bytes) else bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        """Nothing to do: bytes leave through `take`."""

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


class Names:
    """File names by capture time (UTC) and camera, unique within one archive."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def __call__(self, image: Image) -> str:
        moment = utc_moment(image.timestamp)
        stamp = moment.strftime("%Y-%m-%dT%H-%M-%S") + f".{moment.microsecond // 1000:03d}Z"
        stem = f"{stamp}_{image.camera or 'picture'}"
        extension = SERVED_TYPES.get(served_type(image.mime_type), "bin")
        name, number = f"{stem}.{extension}", 1
        while name in self._used:
            number += 1
            name = f"{stem}_{number}.{extension}"
        self._used.add(name)
        return name


def stream_zip(
    r: redis.Redis, batches: Iterable[list[Image]], catalogue: Catalogue
) -> Iterator[bytes]:
    """The zip's bytes, a picture at a time, read a batch at a time; pictures gone are left out."""
    sink = _Sink()
    names = Names()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for images in batches:
            in_redis = [image for image in images if not image.blob_key]
            with r.pipeline(transaction=False) as pipe:
                for image in in_redis:
                    pipe.hget(catalogue.key(image.pk), IMAGE_DATA)
                blobs = dict(zip((image.pk for image in in_redis), pipe.execute(), strict=True))
            for image in images:
                if image.blob_key:
                    yield from _copy_from_store(r, archive, sink, image, names, catalogue)
                    continue
                data = blobs[image.pk]
                if data is None:
                    continue
                archive.writestr(_entry(image, names), data)
                yield sink.take()
    yield sink.take()


def _entry(image: Image, names: Names) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(names(image), _zip_time(image.timestamp))
    info.compress_type = zipfile.ZIP_STORED
    info.extra = _ntfs_time(image.timestamp)
    return info


def _copy_from_store(
    r: redis.Redis, archive: zipfile.ZipFile, sink: _Sink, image: Image, names: Names,
    catalogue: Catalogue,
) -> Iterator[bytes]:
    """One entry from a blob store, written and handed on a chunk at a time."""
    try:
        blob = store.open_original(r, image, catalogue)
    except StoreUnavailable as exc:
        log.warning("zip: %s left out: %s", image.pk, exc)
        return
    if blob is None:
        return
    info = _entry(image, names)
    info.file_size = blob.size
    with archive.open(info, mode="w", force_zip64=blob.size >= zipfile.ZIP64_LIMIT) as entry:
        for chunk in blob.chunks:
            entry.write(chunk)
            yield sink.take()
    yield sink.take()


ZIP_FIRST = 315532800.0
"""1980-01-01T00:00:00Z: the first time a zip's DOS date field can hold."""
ZIP_LAST = 4354819198.0
"""2107-12-31T23:59:58Z: the last one (its year is 7 bits counted from 1980)."""
_FILETIME_EPOCH = 11644473600
"""Seconds from 1601-01-01 (Windows FILETIME's epoch) to 1970-01-01."""


def _zip_time(timestamp: float) -> tuple[int, int, int, int, int, int]:
    """The DOS date field, in UTC as the name, clamped to the years it can hold (1980-2107):
    `zipfile` refuses any other, which used to end the download half-way with a 200."""
    moment = datetime.fromtimestamp(min(max(timestamp, ZIP_FIRST), ZIP_LAST), UTC)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def _ntfs_time(timestamp: float) -> bytes:
    """The exact time in an NTFS extra field (0x000a): 100 ns since 1601, good until year
    30828, which unzip, 7-Zip and Windows read instead of the DOS date when present."""
    ticks = round((timestamp + _FILETIME_EPOCH) * 10**7)
    ticks = min(max(ticks, 0), 2**63 - 1)
    times = struct.pack("<QQQ", ticks, ticks, ticks)  # modified, accessed, created
    attribute = struct.pack("<HH", 1, len(times)) + times
    return struct.pack("<HHI", 0x000A, 4 + len(attribute), 0) + attribute
