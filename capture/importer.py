"""`picat import`: bring existing JPEG and PNG files into the catalogue.

Each file is fully decoded before anything is written, so a corrupt or non-image
file is rejected by name and the run goes on. A file whose content (sha256) is
already in the catalogue, or earlier in the same run, is skipped, which makes a
second run of the same import a no-op. The original bytes are stored unchanged
with a JPEG thumbnail; where the time and brightness come from is in `photo_facts`.

The work is a pipeline: this process reads and hashes the files and checks them
for duplicates `BATCH` at a time (one round trip), worker processes read them
again and decode ahead of it (`workers.ordered_map`, in file order), and a writer
thread saves the decoded pictures `BATCH` at a time, each batch in one MULTI/EXEC,
so this process goes on reading and collecting decodes while Redis takes a batch.
One WAITAOF at the end confirms every write of the run: with `appendfsync
everysec` each WAITAOF waits for the next fsync (half a second on average), which
per batch would cost more than all the decoding.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import stat
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import redis
from tqdm import tqdm

from picat.schema import DEFAULT_CATALOGUE, Catalogue, Image, Trigger, functions
from picat.schema.clock import local_time_fields, server_time
from picat.schema.ids import content_image_id
from picat.schema.query import count_argv, escape_tag
from picat.schema.store import save_many
from picat.settings import DEFAULT_PICTURE_LIMITS, PictureLimits

from .decoding import Described, Rejected, describe
from .durable import Acknowledgement, DurableWriter
from .workers import ordered_map, processes

log = logging.getLogger("picat.capture")

BATCH = 8
"""Pictures per MULTI/EXEC, and files per duplicate check: one round trip for several,
while one batch (a few MB) keeps Redis busy for only a few milliseconds."""

Batch = list[tuple[Image, bytes, bytes]]


@dataclass
class ImportReport:
    imported: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)
    notes: list[tuple[Path, str]] = field(default_factory=list)
    """Files imported with a remark (e.g. an EXIF date outside the valid range)."""

    def summary(self) -> str:
        lines = [
            f"imported {len(self.imported)}, skipped {len(self.skipped)} (already in the "
            f"catalogue), rejected {len(self.rejected)}"
        ]
        lines.extend(f"  rejected {path}: {reason}" for path, reason in self.rejected)
        lines.extend(f"  note {path}: {note}" for path, note in self.notes)
        return "\n".join(lines)


@dataclass(frozen=True)
class _File:
    """One file read and hashed; `verdict` is set when it needs no decoding."""

    path: Path
    data: bytes = b""
    checksum: str = ""
    verdict: str = ""
    """"" to decode, "skip" (already in the catalogue), "copy" (of an earlier file of
    this run, which decides its fate), or "reject:<reason>"."""


def find_files(
    paths: Iterable[Path], unreadable: list[tuple[Path, str]] | None = None
) -> Iterator[Path]:
    """Files named directly, and every non-hidden entry below named folders, in name order.

    A folder that cannot be listed is added to `unreadable` with the reason, so its
    files do not vanish from the report silently.
    """
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        found: list[Path] = []

        def report(error: OSError, top: Path = path) -> None:
            if unreadable is not None:
                reason = error.strerror or str(error)
                unreadable.append((Path(error.filename or top), f"cannot read folder ({reason})"))

        for root, folders, names in os.walk(path, onerror=report):
            folders[:] = [name for name in folders if not name.startswith(".")]
            found.extend(Path(root) / name for name in names if not name.startswith("."))
        yield from sorted(found)


def already_imported(
    r: redis.Redis, checksums: Sequence[str], catalogue: Catalogue
) -> set[str]:
    """Which of `checksums` the catalogue holds: one count per checksum, in one round trip."""
    with r.pipeline(transaction=False) as pipe:
        for checksum in checksums:
            pipe.fcall_ro(functions.QUERY, 0,
                          *count_argv(catalogue.index, f"@checksum:{{{escape_tag(checksum)}}}"))
        replies = pipe.execute()
    return {checksum for checksum, reply in zip(checksums, replies, strict=True)
            if int(reply[0]) > 0}


def _read_bounded(path: Path, max_bytes: int) -> bytes:
    """A regular file's bytes, never more than `max_bytes`: a FIFO would block the run
    and `/dev/zero` never ends, so anything else is refused before it is opened."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise _Refused("not a regular file (a FIFO, device, socket or folder)")
    too_big = (f"larger than PICAT_MAX_PICTURE_MB ({max_bytes / 2**20:g} MB)")
    if info.st_size > max_bytes:
        raise _Refused(f"{info.st_size / 2**20:.1f} MB, {too_big}")
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _Refused(f"grew while read: {too_big}")
    return data


class _Refused(ValueError):
    """A file the importer will not read; the message says why."""


def _hashed(path: Path, max_bytes: int) -> _File:
    try:
        data = _read_bounded(path, max_bytes)
    except _Refused as exc:
        return _File(path, verdict=f"reject:{exc}")
    except OSError as exc:
        return _File(path, verdict=f"reject:cannot read ({exc.strerror or exc})")
    return _File(path, data, hashlib.sha256(data).hexdigest())


def _read(
    files: list[Path], r: redis.Redis, catalogue: Catalogue, redis_lock: threading.Lock,
    max_bytes: int,
) -> Iterator[_File]:
    """Each file's bytes and checksum, with a verdict for those not worth decoding."""
    claimed: set[str] = set()
    for start in range(0, len(files), BATCH):
        chunk = [_hashed(path, max_bytes) for path in files[start:start + BATCH]]
        unclaimed = list(dict.fromkeys(
            item.checksum for item in chunk if item.checksum and item.checksum not in claimed
        ))
        with redis_lock:
            held = already_imported(r, unclaimed, catalogue) if unclaimed else set()
        for item in chunk:
            if item.verdict:
                yield item
            elif item.checksum in claimed:
                yield replace(item, data=b"", verdict="copy")
            elif item.checksum in held:
                yield replace(item, data=b"", verdict="skip")
            else:
                claimed.add(item.checksum)
                yield item


class _Writer:
    """Saves batches on a thread of its own, in order; the first Redis error stops it and
    is raised in the importing thread at its next `put` or by `check`."""

    def __init__(
        self, r: redis.Redis, catalogue: Catalogue, redis_lock: threading.Lock,
        written: list[Path],
    ) -> None:
        self.r, self.catalogue, self.redis_lock, self.written = r, catalogue, redis_lock, written
        self.batches: queue.Queue[tuple[Batch, list[Path]] | None] = queue.Queue(maxsize=2)
        """One batch being written and one waiting: enough to overlap, and bounded memory."""
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._run, name="picat-import-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (job := self.batches.get()) is not None:
            if self.error is None:
                pictures, paths = job
                try:
                    with self.redis_lock:
                        save_many(self.r, pictures, self.catalogue)
                except Exception as exc:
                    self.error = exc
                else:
                    self.written.extend(paths)

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def put(self, pictures: Batch, paths: list[Path]) -> None:
        self.check()
        self.batches.put((pictures, paths))

    def stop(self) -> None:
        """Return once every batch put is written, or the writer has stopped at an error."""
        self.batches.put(None)
        self.thread.join()


def _decode(
    item: _File, thumbnail_size: int, limits: PictureLimits = DEFAULT_PICTURE_LIMITS
) -> Described | str:
    """A worker's job: the description of a file to decode, or the reason it is rejected.

    A worker process is given the file without its bytes and reads it again: through
    a pipe they cost 1.4 ms of CPU per 455 KB picture, from the page cache with the
    checksum check 0.6 ms. The check makes sure the bytes stored are the bytes decoded.
    """
    if item.verdict:
        return item.verdict
    data = item.data
    if not data:
        try:
            data = _read_bounded(item.path, limits.max_bytes)
        except (OSError, _Refused) as exc:
            return f"reject:cannot read ({getattr(exc, 'strerror', None) or exc})"
        if hashlib.sha256(data).hexdigest() != item.checksum:
            return "reject:changed while it was being imported"
    try:
        return describe(item.path, data, thumbnail_size, limits.max_pixels)
    except Rejected as exc:
        return f"reject:{exc}"


def _image(item: _File, described: Described, camera_id: str, ttl: int, now: float) -> Image:
    """`now` is Redis's clock, which expires the key: this machine's may be wrong."""
    time_of_day, utc_offset = local_time_fields(described.taken, described.zone)
    return Image(
        pk=content_image_id(described.taken, item.checksum),
        mime_type=described.mime_type,
        timestamp=described.taken,
        lux=described.lux,
        camera=camera_id,
        trigger=Trigger.IMPORT,
        width=described.width,
        height=described.height,
        time_of_day=time_of_day,
        utc_offset=utc_offset,
        expires_at=now + ttl if ttl > 0 else None,
        checksum=item.checksum,
    )


def import_files(
    r: redis.Redis,
    paths: Iterable[Path],
    camera_id: str,
    ttl: int,
    thumbnail_size: int,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
    progress: bool = True,
    workers: int | None = None,
    limits: PictureLimits = DEFAULT_PICTURE_LIMITS,
) -> ImportReport:
    """Import every file under `paths`; Redis errors stop the run, bad files do not.

    `r` should hold one connection (`connect_single`), so the closing WAITAOF covers
    every write of the run. `workers` caps the decoding processes (default: one per
    core; 1 decodes in this process).
    """
    report = ImportReport()
    files = list(find_files(paths, report.rejected))
    fates: dict[str, str] = {}
    """checksum -> "imported" or the rejection of the first file with that content."""
    in_flight: deque[_File] = deque()
    batch: Batch = []
    batch_paths: list[Path] = []
    redis_lock = threading.Lock()
    """`r` holds one connection, which the writer thread and the duplicate checks share."""

    in_workers = processes(len(files), workers) > 0

    def feed() -> Iterator[_File]:
        for item in _read(files, r, catalogue, redis_lock, limits.max_bytes):
            in_flight.append(item)
            yield replace(item, data=b"") if in_workers else item

    decoded = ordered_map(partial(_decode, thumbnail_size=thumbnail_size, limits=limits),
                          feed(), len(files), workers)
    bar = tqdm(total=len(files), desc="importing", unit="file", disable=None if progress else True)
    durable = DurableWriter(r, catalogue)
    written_on = Acknowledgement(durable.connection(), None)
    clock_offset = server_time(r) - time.time()
    """WAITAOF covers only this connection's writes: a reconnect on the way fails the run."""
    writer = _Writer(r, catalogue, redis_lock, report.imported)
    try:
        with bar:
            for outcome in decoded:
                item = in_flight.popleft()
                if outcome == "copy":
                    outcome = fates[item.checksum]
                if outcome in ("skip", "imported"):
                    report.skipped.append(item.path)
                elif isinstance(outcome, str):
                    report.rejected.append((item.path, outcome.removeprefix("reject:")))
                    if item.checksum:
                        fates.setdefault(item.checksum, outcome)
                else:
                    try:
                        image = _image(item, outcome, camera_id, ttl, time.time() + clock_offset)
                    except (ValueError, OverflowError) as exc:  # one file never ends the run
                        report.rejected.append((item.path, f"cannot be described ({exc})"))
                        fates.setdefault(item.checksum, f"reject:cannot be described ({exc})")
                        bar.update()
                        continue
                    if outcome.note:
                        report.notes.append((item.path, outcome.note))
                    batch.append((image, item.data, outcome.thumbnail))
                    batch_paths.append(item.path)
                    fates[item.checksum] = "imported"
                    if len(batch) >= BATCH:
                        writer.put(batch, batch_paths)
                        batch, batch_paths = [], []
                bar.update()
            if batch:
                writer.put(batch, batch_paths)
    finally:
        writer.stop()
    writer.check()
    if report.imported:
        durable.confirm_acknowledged(written_on)
    return report
