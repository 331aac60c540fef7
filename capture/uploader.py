"""Moves spooled captures into Redis, oldest first, and survives Redis being away.

With an external image store each original is written there (and confirmed) before
its hash (`picat.schema.store.save_many`); an unreachable store keeps captures in
the spool exactly like an unreachable Redis. Writing a blob again on a replay puts
the same bytes under the same key, so a picture still arrives exactly once.

It runs beside the capture loop, so a slow or absent Redis never delays the
camera. When Redis is unreachable or refuses a write, the captures stay spooled,
it says so once, and it retries with a growing pause; when Redis answers again it
replays the backlog in capture order. A file is removed only after its batch is
confirmed durable, and the log gets one line per stored picture.

A write is `DEL` + `HSET` + `PEXPIREAT`, so writing a picture again would bring back
one the user deleted or give a kept one its TTL again. After Redis acknowledged
the EXEC, a capture's file is marked acknowledged (`Spool.mark_acknowledged`), and
a later attempt rewrites it only if Redis may have lost it:
- same connection as the acknowledgement (WAITAOF was late): only WAITAOF again;
- else, same server run (`INFO server` run_id unchanged): Redis has not restarted,
  so it still holds the write, or whatever the user did to it since: the file is
  removed without a rewrite;
- else (Redis restarted, or the user may not run INFO, as the capture ACL role
  may not): Redis may have lost the write in a crash, so it is rewritten; a
  delete made between the acknowledgement and that restart can come back.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path

import redis

from picat.schema import Catalogue, storage
from picat.schema.originals import StoreUnavailable

from .durable import Acknowledgement, DurableWriter, NotDurable
from .spool import ACKED_SUFFIX, Capture, Spool, SpoolCorrupt

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
        """Why Redis (or the image store) is not taking pictures now, None while it is."""
        self._outage_kind = ""
        self.away = "Redis"
        """What the current outage is of: "Redis" or "The image store"."""
        self._unconfirmed: dict[Path, Acknowledgement] = {}
        """Files acknowledged by Redis in this process whose WAITAOF has not returned yet."""

    def _load(self, path: Path) -> Capture | None:
        try:
            capture = self.spool.read(path)
        except (OSError, SpoolCorrupt) as exc:
            kept = self.spool.set_aside(path)
            log.error("cannot read spooled capture %s (%s): kept as %s", path.name, exc, kept)
            return None
        return capture

    def drain_once(self) -> int:
        """Write everything spooled now; returns how many were stored. Raises on failure."""
        stored = self._settle_acknowledged()
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

    def _settle_acknowledged(self) -> int:
        """Finish files Redis already acknowledged without rewriting them where it surely has
        them; what is left acknowledged afterwards may be lost and is rewritten."""
        acknowledged = [path for path in self.spool.pending() if path.suffix == ACKED_SUFFIX]
        if not acknowledged:
            return 0
        connection = self.writer.connection()
        same = [
            path for path in acknowledged
            if path in self._unconfirmed and self._unconfirmed[path].connection == connection
        ]
        stored = 0
        if same:
            self.writer.confirm_acknowledged(self._unconfirmed[same[0]])
            stored += self._done([(path, self._load(path)) for path in same])
        run = self.writer.server_run()
        for path in acknowledged:
            if path not in same and run is not None and Spool.acknowledged_by(path) == run:
                self.spool.remove(path)
                self._unconfirmed.pop(path, None)
                log.info(
                    "%s: already acknowledged by this Redis run, which has not restarted "
                    "since: not rewritten", self.catalogue.key(path.name.split(".", 1)[0]),
                )
        return stored

    def _write(self, batch: list[tuple[Path, Capture]]) -> int:
        if not batch:
            return 0
        marked: list[tuple[Path, Capture | None]] = []

        def saved(n: int, acknowledgement: Acknowledgement) -> None:
            # Marked one by one: if Redis refuses a later one (full), the replay does not
            # write these again over what the user did to them meanwhile.
            path, capture = batch[n]
            self._unconfirmed.pop(path, None)
            acknowledged = self.spool.mark_acknowledged(path, acknowledgement.server_run)
            self._unconfirmed[acknowledged] = acknowledgement
            marked.append((acknowledged, capture))

        acknowledgement = self.writer.send([capture for _, capture in batch], saved)
        self.writer.confirm_acknowledged(acknowledgement)
        return self._done(marked)

    def _done(self, confirmed: list[tuple[Path, Capture | None]]) -> int:
        """Forget captures Redis has on disk (None: already set aside); one log line each."""
        stored = 0
        for path, capture in confirmed:
            self.spool.remove(path)
            self._unconfirmed.pop(path, None)
            if capture is not None:
                log.info(describe(capture, self.catalogue.key(capture.image.pk)))
                stored += 1
        return stored

    def _why(self, exc: Exception) -> str:
        """Why Redis (or the image store) did not take the pictures, in words a user can act on."""
        if isinstance(exc, StoreUnavailable):
            return f"The image store is unreachable or refused the write ({exc})"
        if isinstance(exc, redis.exceptions.OutOfMemoryError):
            try:
                return storage.out_of_memory_message(self.writer.r, self.catalogue)
            except redis.RedisError:
                pass
        if isinstance(exc, redis.BusyLoadingError):
            return "Redis is loading its data after a restart"
        return f"Redis is unreachable or refused the write ({exc or type(exc).__name__})"

    def try_drain(self) -> bool:
        """One attempt; True when the spool was emptied, False when Redis failed us."""
        try:
            stored = self.drain_once()
        except (redis.RedisError, NotDurable, StoreUnavailable) as exc:
            kind = type(exc).__name__
            if self.outage is None or kind != self._outage_kind:
                self.outage, self._outage_kind = self._why(exc), kind
                self.away = "The image store" if isinstance(exc, StoreUnavailable) else "Redis"
                log.warning(
                    "%s: captures stay in %s and are replayed when it takes them again",
                    self.outage, self.spool.directory,
                )
            return False
        if self.outage is not None:
            log.info("%s is back: replayed the spool (%d pictures stored)", self.away, stored)
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
