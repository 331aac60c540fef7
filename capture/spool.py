"""The local spool: every capture is on disk until Redis has it durably.

A capture is written here first (to a temporary file, fsynced, then renamed, so a
file either is complete or does not exist) and removed only after Redis confirmed
it. Files are named after the image id, a ULID, so sorting names replays in
capture order, and replaying a file twice rewrites one hash instead of adding a
second picture. The spool never deletes a capture to make room: when it is full,
`put` refuses and the caller stops capturing.

Once Redis has acknowledged a capture's EXEC, its file is renamed (atomically) to
`<id>.<run id>.acked`, naming the server run that acknowledged it (`unknown` when
the server would not say): a replay after a late WAITAOF or a crash then knows that
Redis already had the picture, and rewrites it only if Redis may have lost it
(see `uploader`), so a picture deleted or kept since does not come back.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

from picat.schema import Image

MAGIC = b"PICAT-SPOOL-1\n"
SUFFIX = ".spool"
ACKED_SUFFIX = ".acked"
UNKNOWN_RUN = "unknown"
LOCK_NAME = ".lock"
REJECTED_SUFFIX = ".bad"
_LENGTHS = struct.Struct(">III")
DISK_MARGIN = 2**20
"""Free bytes left on the spool's disk beyond the next capture before capturing pauses."""


class SpoolFull(RuntimeError):
    """No room for another capture within SPOOL_MAX_MB."""


class SpoolBusy(RuntimeError):
    """Another process is using this spool directory."""


class SpoolCorrupt(ValueError):
    """A spool file that cannot be read back as a capture."""


@dataclass(frozen=True)
class Capture:
    """One picture as it will be written: the model plus its bytes."""

    image: Image
    image_data: bytes
    thumbnail: bytes | None

    def encode(self) -> bytes:
        header = json.dumps({"id": self.image.pk, "fields": self.image.to_fields()}).encode()
        thumbnail = self.thumbnail or b""
        lengths = _LENGTHS.pack(len(header), len(self.image_data), len(thumbnail))
        return MAGIC + lengths + header + self.image_data + thumbnail

    @classmethod
    def decode(cls, blob: bytes) -> Capture:
        start = len(MAGIC) + _LENGTHS.size
        if not blob.startswith(MAGIC) or len(blob) < start:
            raise SpoolCorrupt("not a spool file")
        header_len, data_len, thumb_len = _LENGTHS.unpack(blob[len(MAGIC) : start])
        if len(blob) != start + header_len + data_len + thumb_len:
            raise SpoolCorrupt("truncated spool file")
        try:
            header = json.loads(blob[start : start + header_len])
            image = Image.from_fields(header["id"], header["fields"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SpoolCorrupt(f"unreadable header: {exc}") from exc
        data_start = start + header_len
        thumbnail = blob[data_start + data_len :]
        return cls(image, blob[data_start : data_start + data_len], thumbnail or None)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """One process at a time: a second `picat capture` on the same directory would
    replay the same files and remove the other's half-written ones, so it is refused."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)  # pictures wait here: no other local user may look
        self._lock = open(self.directory / LOCK_NAME, "a")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise SpoolBusy(
                f"the spool {self.directory} is in use by another `picat capture`: stop it, "
                "or give this one its own SPOOL_DIR"
            ) from None
        for leftover in self.directory.glob("*.tmp"):
            leftover.unlink()

    def close(self) -> None:
        """Let another process use the directory."""
        self._lock.close()

    def _queued(self) -> list[Path]:
        return [*self.directory.glob("*" + SUFFIX), *self.directory.glob("*" + ACKED_SUFFIX)]

    def used_bytes(self) -> int:
        total = 0
        for path in self._queued():
            with contextlib.suppress(FileNotFoundError):
                total += path.stat().st_size
        return total

    def has_room(self, size: int) -> bool:
        """Within SPOOL_MAX_MB, and on a disk with room for it (and a little more)."""
        if self.used_bytes() + size > self.max_bytes:
            return False
        return shutil.disk_usage(self.directory).free >= size + DISK_MARGIN

    def put(self, capture: Capture) -> Path:
        """Store a capture atomically; raises SpoolFull rather than evict anything."""
        blob = capture.encode()
        if not self.has_room(len(blob)):
            raise SpoolFull(
                f"spool {self.directory} is full ({self.used_bytes() / 2**20:.1f} MB used, "
                f"limit {self.max_bytes / 2**20:.0f} MB)"
            )
        final = self.directory / (capture.image.pk + SUFFIX)
        temporary = final.with_suffix(".tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "wb") as out:
                out.write(blob)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            temporary.unlink(missing_ok=True)  # never a partial file
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise SpoolFull(
                    f"the disk holding the spool {self.directory} is full ({exc.strerror})"
                ) from None
            raise
        os.replace(temporary, final)
        _fsync_directory(self.directory)
        return final

    def pending(self) -> list[Path]:
        """Spooled captures, acknowledged or not, oldest first (names start with the ULID)."""
        return sorted(self._queued())

    def mark_acknowledged(self, path: Path, server_run: str | None) -> Path:
        """Record, atomically, that the server run `server_run` acknowledged this capture."""
        image_id = path.name.split(".", 1)[0]
        target = path.with_name(f"{image_id}.{server_run or UNKNOWN_RUN}{ACKED_SUFFIX}")
        if target != path:
            os.replace(path, target)
            _fsync_directory(self.directory)
        return target

    @staticmethod
    def acknowledged_by(path: Path) -> str | None:
        """The server run that acknowledged this capture; None if none did or it is unknown."""
        if path.suffix != ACKED_SUFFIX:
            return None
        run = path.name.split(".")[1]
        return None if run == UNKNOWN_RUN else run

    def read(self, path: Path) -> Capture:
        return Capture.decode(path.read_bytes())

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def set_aside(self, path: Path) -> Path:
        """Move an unreadable file out of the replay queue, keeping it for a person to inspect."""
        target = path.with_suffix(REJECTED_SUFFIX)
        os.replace(path, target)
        return target
