"""Writing captures so that Redis has them on disk before we forget them.

Each capture goes through `picat.schema.store.save` (one MULTI/EXEC with its TTL);
then one `WAITAOF 1 0` confirms the whole batch reached Redis's append-only file.
WAITAOF covers the writes of the connection it runs on, so the client holds a
single connection and the batch counts as confirmed only if the connection did not
change on the way (a reconnect in the middle could hide a lost write). CLIENT IDs
alone cannot tell: a restarted Redis numbers connections from 1 again, so a
reconnect can get the very id the lost writes went on. Each connection is
therefore also named with a random token the first time it is seen.
A server without AOF (or older than 7.2) cannot confirm: we warn once and accept
the write acknowledgement, as the brief allows.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import redis
from redis.connection import Encoder, PythonRespSerializer

from picat.schema import DEFAULT_CATALOGUE, Catalogue, connect
from picat.schema.clock import MIN_LIFETIME, server_time
from picat.schema.durability import WAITAOF_TIMEOUT_MS, AofConfirmer
from picat.schema.store import save

from .spool import Capture

log = logging.getLogger("picat.capture")


class NotDurable(RuntimeError):
    """Redis took the writes but did not confirm them on disk in time."""


WRITE_BUFFER_CUTOFF = 6000
"""Arguments longer than this go to the socket as they are, not copied into one buffer."""


def connect_single(url: str) -> redis.Redis:
    """A client that always uses one connection, which WAITAOF needs.

    It packs commands in Python, which hands a picture's bytes to the socket
    without copying them; hiredis, redis-py's default, first copies the whole
    command into one buffer: 5.7 ms of CPU for 8 full-size pictures against 1.3 ms,
    measured on the development machine.
    """
    encoder = Encoder(encoding="utf-8", encoding_errors="strict", decode_responses=False)
    packer = PythonRespSerializer(WRITE_BUFFER_CUTOFF, encoder.encode)
    return connect(url, max_connections=1, command_packer=packer)


CONNECTION_NAME_PREFIX = "picat-"


@dataclass(frozen=True)
class Acknowledgement:
    """Redis acknowledged some EXECs (in memory, maybe not yet on disk): on what, in which run."""

    connection: tuple[int, str]
    """The connection the EXECs ran on (`DurableWriter.connection`): WAITAOF there covers them."""
    server_run: str | None
    """The server's `run_id` (changes at every restart), None if this user may not run INFO."""


def arriving(capture: Capture, now: float) -> Capture:
    """The capture as it may be written when Redis's clock says `now`.

    Redis expires a key by its own clock, so a picture whose expiry (counted from the
    camera's clock) is already past there would be acknowledged, then dropped at once:
    a Pi that booted without a real-time clock, a clock jump, or a spool held longer than
    IMAGE_TTL. Such a picture keeps its capture time, is flagged `clock_suspect`, and
    its retention counts from its arrival instead: nothing acknowledged is lost.
    """
    image = capture.image
    if image.expires_at is None or image.expires_at >= now + MIN_LIFETIME:
        return capture
    ttl = max(image.expires_at - image.timestamp, MIN_LIFETIME)
    log.warning(
        "%s was taken at %.0f by the camera's clock, and its retention would have ended "
        "%.0f s ago by Redis's clock (%.0f): camera clock behind, or spooled longer than "
        "IMAGE_TTL; stored with clock_suspect, expiring %.0f s after its arrival",
        image.pk, image.timestamp, now - image.expires_at, now, ttl,
    )
    kept = image.model_copy(update={"expires_at": now + ttl, "clock_suspect": True})
    return Capture(kept, capture.image_data, capture.thumbnail)


class DurableWriter:
    def __init__(self, r: redis.Redis, catalogue: Catalogue = DEFAULT_CATALOGUE) -> None:
        self.r = r
        self.catalogue = catalogue
        self.aof = AofConfirmer(r, "pictures")
        self.info_refused = False

    def write(self, captures: list[Capture]) -> None:
        """Save every capture, then confirm; raises a RedisError or NotDurable on failure."""
        self.confirm_acknowledged(self.send(captures))

    def send(
        self,
        captures: list[Capture],
        saved: Callable[[int, Acknowledgement], None] | None = None,
    ) -> Acknowledgement:
        """Save every capture (one MULTI/EXEC each); returns once Redis acknowledged them.

        `saved(n, acknowledgement)` runs as soon as capture `n` is acknowledged, so a
        failure half-way (Redis full) leaves the ones before it known as written."""
        acknowledgement = Acknowledgement(self.connection(), self.server_run())
        now = server_time(self.r)
        for n, capture in enumerate(captures):
            capture = arriving(capture, now)
            save(self.r, capture.image, capture.image_data, capture.thumbnail, self.catalogue)
            if saved is not None:
                saved(n, acknowledgement)
        return acknowledgement

    def confirm_acknowledged(self, acknowledgement: Acknowledgement) -> None:
        """WAITAOF for writes acknowledged earlier on this same connection, without rewriting
        them; NotDurable if it was late or the connection changed (WAITAOF would not cover them)."""
        self._same_connection(acknowledgement)
        self.confirm()
        self._same_connection(acknowledgement)

    def _same_connection(self, acknowledgement: Acknowledgement) -> None:
        if self.connection() != acknowledgement.connection:
            raise NotDurable("the connection to Redis was re-established during the write")

    def connection(self) -> tuple[int, str]:
        """Which connection the client is on, as (CLIENT ID, name): a pair no other
        connection has had, even before a restart of Redis, because a connection
        without our name gets a new random one (one more round trip, once per connection)."""
        info = self.r.client_info()
        name = str(info.get("name") or "")
        if not name.startswith(CONNECTION_NAME_PREFIX):
            name = CONNECTION_NAME_PREFIX + secrets.token_hex(8)
            self.r.client_setname(name)
        return int(info["id"]), name

    def server_run(self) -> str | None:
        """The server's run id, which tells a restart apart; None when INFO is refused (the
        capture ACL role may not run it). Asked no more once refused: every refusal is an
        entry in the server's ACL LOG, which operators watch for intruders."""
        if self.info_refused:
            return None
        try:
            return str(self.r.info("server")["run_id"])
        except redis.exceptions.NoPermissionError:
            self.info_refused = True
            return None

    def confirm(self) -> None:
        """Wait until this client's earlier writes are in the append-only file on disk."""
        if not self.aof.confirm():
            raise NotDurable(
                f"Redis did not confirm the append-only fsync within {WAITAOF_TIMEOUT_MS} ms"
            )
