"""Keep and delete that stay done: the gallery confirms them only once they are on disk.

After the DEL or PERSIST, `WAITAOF 1 0` waits until Redis has fsynced its
append-only file past that write, so a crash or power cut right after the
"Picture deleted" message cannot bring the picture back (or its expiry). WAITAOF
covers the writes of the connection it runs on, so curation has its own client
with one connection, used under a lock, that never retries a command on a new
connection behind our back. A server without AOF cannot confirm: we log that once
and accept the write, as capture does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

from picat.schema import connect
from picat.schema.durability import WAITAOF_TIMEOUT_MS, AofConfirmer

log = logging.getLogger(__name__)

_EXTENSION = "picat.curation"
T = TypeVar("T")


class Curator:
    """Runs one change at a time on a single connection, then waits for the fsync."""

    def __init__(self, url: str) -> None:
        self.r = connect(url, max_connections=1, retry=Retry(NoBackoff(), 0))
        self._lock = threading.Lock()
        self._aof = AofConfirmer(self.r, "keep/delete")

    def apply(self, change: Callable[[redis.Redis], T]) -> tuple[T, bool]:
        """(what `change` returned, whether Redis confirmed it on disk in time)."""
        with self._lock:
            try:
                self.r.ping()
            except redis.ConnectionError:
                self.r.ping()  # the connection had gone stale (Redis restarted): one new one
            result = change(self.r)
            return result, self._confirm()

    def _confirm(self) -> bool:
        confirmed = self._aof.confirm()
        if not confirmed:
            log.warning("Redis did not confirm a keep/delete on disk within %d ms",
                        WAITAOF_TIMEOUT_MS)
        return confirmed


def install(app: Flask, redis_url: str) -> None:
    app.extensions[_EXTENSION] = Curator(redis_url)


def curator() -> Curator:
    """The `Curator` of the app handling the current request."""
    return current_app.extensions[_EXTENSION]
