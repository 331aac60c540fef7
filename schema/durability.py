"""Waiting until Redis has our writes on disk: `WAITAOF`, shared by capture and the gallery.

`WAITAOF 1 0 <ms>` returns once the local append-only file has been fsynced past
every write this connection made, so a crash of Redis (or of its host) right after
cannot undo them. It covers one connection's writes only: callers use a client with
a single connection. A server without AOF (or older than 7.2) cannot confirm; that
is logged once and the write acknowledgement is accepted instead.
"""

from __future__ import annotations

import logging

import redis

log = logging.getLogger(__name__)

WAITAOF_TIMEOUT_MS = 2000
_UNSUPPORTED = ("appendonly is disabled", "unknown command")


class AofConfirmer:
    """Confirms the earlier writes of one single-connection client."""

    def __init__(self, r: redis.Redis, what: str) -> None:
        self.r = r
        self.what = what
        self.supported = True

    def confirm(self) -> bool:
        """True once on disk (or when the server cannot tell); False if the fsync was late."""
        if not self.supported:
            return True
        try:
            local, _replicas = self.r.execute_command("WAITAOF", 1, 0, WAITAOF_TIMEOUT_MS)
        except redis.ResponseError as exc:
            if not any(reason in str(exc).lower() for reason in _UNSUPPORTED):
                raise
            self.supported = False
            log.warning(
                "Redis cannot confirm %s on disk (%s): a crash of the Redis host may undo the "
                "last second of them; enable appendonly on the server to close that gap",
                self.what, exc,
            )
            return True
        return int(local) >= 1
