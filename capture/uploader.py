"""Moves spooled captures into Redis, oldest first, and survives Redis being away.

It runs beside the capture loop, so a slow or absent Redis never delays the
camera. When Redis is unreachable or refuses a write, the captures stay spooled,
it says so once, and it retries with a growing pause; when Redis answers again it
replays the backlog in capture order. A file is removed only after its batch is
confirmed durable, and the log gets one line per stored picture.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from pathlib import Path

import redis

from picat.schema import Catalogue

from .durable import DurableWriter, NotDurable
from .spool import Capture, Spool, SpoolCorrupt

log = logging.getLogger("picat.capture")

# One WAITAOF confirms a whole batch; with `appendfsync everysec` each costs up to a
# second, so a backlog is replayed in batches of up to this many bytes.
BATCH_BYTES = 16 * 2**20
IDLE_WAIT = 1.0
RETRY_FIRST, RETRY_MAX = 0.5, 5.0


def describe(capture: Capture, key: str) -> str:
    """The one log line for a stored picture."""
    image = capture.image
    taken = datetime.fromtimestamp(image.timestamp).astimezone().isoformat(timespec="milliseconds")
    lux = "" if image.lux is None else f" lux={image.lux:g}"
    return (
        f"stored {key} taken {taken} by {image.camera} ({image.trigger}) "
        f"{image.width}x{image.height} {len(capture.image_data) / 1024:.0f} KB{lux}"
    )


class Uploader:
    def __init__(self, spool: Spool, writer: DurableWriter, catalogue: Catalogue) -> None:
        self.spool = spool
        self.writer = writer
        self.catalogue = catalogue
        self.wake = threading.Event()
        self.outage: str | None = None

    def _load(self, path: Path) -> Capture | None:
        try:
            capture = self.spool.read(path)
        except (OSError, SpoolCorrupt) as exc:
            kept = self.spool.set_aside(path)
            log.error("cannot read spooled capture %s (%s): kept as %s", path.name, exc, kept)
            return None
        expires_at = capture.image.expires_at
        if expires_at is not None and expires_at <= time.time():
            self.spool.remove(path)
            log.warning(
                "%s expired while spooled (its TTL counts from capture time): not written",
                self.catalogue.key(capture.image.pk),
            )
            return None
        return capture

    def drain_once(self) -> int:
        """Write everything spooled now; returns how many were stored. Raises on failure."""
        stored = 0
        batch: list[tuple[Path, Capture]] = []
        size = 0
        for path in self.spool.pending():
            capture = self._load(path)
            if capture is None:
                continue
            batch.append((path, capture))
            size += len(capture.image_data) + len(capture.thumbnail or b"")
            if size >= BATCH_BYTES:
                stored += self._write(batch)
                batch, size = [], 0
        return stored + self._write(batch)

    def _write(self, batch: list[tuple[Path, Capture]]) -> int:
        if not batch:
            return 0
        self.writer.write([capture for _, capture in batch])
        for path, capture in batch:
            self.spool.remove(path)
            log.info(describe(capture, self.catalogue.key(capture.image.pk)))
        return len(batch)

    def try_drain(self) -> bool:
        """One attempt; True when the spool was emptied, False when Redis failed us."""
        try:
            stored = self.drain_once()
        except (redis.RedisError, NotDurable) as exc:
            if self.outage is None:
                self.outage = str(exc) or type(exc).__name__
                log.warning(
                    "Redis is unreachable or refused the write (%s): captures stay in %s "
                    "and are replayed when it is back", self.outage, self.spool.directory,
                )
            return False
        if self.outage is not None:
            log.info("Redis is back: replayed the spool (%d pictures stored)", stored)
            self.outage = None
        return True

    def run(self, finish: threading.Event) -> None:
        """Drain until `finish` is set, then make one last attempt and report what is left."""
        retry = RETRY_FIRST
        while not finish.is_set():
            self.wake.clear()
            if self.try_drain():
                retry = RETRY_FIRST
                self.wake.wait(IDLE_WAIT)
            else:
                finish.wait(retry)
                retry = min(RETRY_MAX, retry * 2)
        self.try_drain()
        left = len(self.spool.pending())
        if left:
            log.warning(
                "%d captures remain spooled in %s; the next `picat capture` replays them",
                left, self.spool.directory,
            )
