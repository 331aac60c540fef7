"""Writing captures so that Redis has them on disk before we forget them.

Each capture goes through `picat.schema.store.save` (one MULTI/EXEC with its TTL);
then one `WAITAOF 1 0` confirms the whole batch reached Redis's append-only file.
WAITAOF covers the writes of the connection it runs on, so the client holds a
single connection and the batch counts as confirmed only if the connection's id
did not change on the way (a reconnect in the middle could hide a lost write).
A server without AOF (or older than 7.2) cannot confirm: we warn once and accept
the write acknowledgement, as the brief allows.
"""

from __future__ import annotations

import redis

from picat.schema import DEFAULT_CATALOGUE, Catalogue, connect
from picat.schema.durability import WAITAOF_TIMEOUT_MS, AofConfirmer
from picat.schema.store import save

from .spool import Capture


class NotDurable(RuntimeError):
    """Redis took the writes but did not confirm them on disk in time."""


def connect_single(url: str) -> redis.Redis:
    """A client that always uses one connection, which WAITAOF needs."""
    return connect(url, max_connections=1)


class DurableWriter:
    def __init__(self, r: redis.Redis, catalogue: Catalogue = DEFAULT_CATALOGUE) -> None:
        self.r = r
        self.catalogue = catalogue
        self.aof = AofConfirmer(r, "pictures")

    def write(self, captures: list[Capture]) -> None:
        """Save every capture, then confirm; raises a RedisError or NotDurable on failure."""
        connection_id = self.r.client_id()
        for capture in captures:
            save(self.r, capture.image, capture.image_data, capture.thumbnail, self.catalogue)
        self.confirm()
        if self.r.client_id() != connection_id:
            raise NotDurable("the connection to Redis was re-established during the write")

    def confirm(self) -> None:
        """Wait until this client's earlier writes are in the append-only file on disk."""
        if not self.aof.confirm():
            raise NotDurable(
                f"Redis did not confirm the append-only fsync within {WAITAOF_TIMEOUT_MS} ms"
            )
