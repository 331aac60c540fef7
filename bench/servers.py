"""Private Redis servers for a benchmark run, and the gallery served over real HTTP."""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from flask import Flask

from picat.embedded import EmbeddedRedis, free_port
from picat.schema import connect
from picat.webapp.server import make_server


@contextmanager
def private_redis(durable: bool) -> Iterator[tuple[str, redis.Redis]]:
    """A Redis with RediSearch of our own, in a temporary directory removed afterwards.

    `durable=False` turns the append-only file off, so a multi-GB load never
    triggers an AOF rewrite in the middle of a measurement; the import benchmark
    keeps it on, because `picat import` confirms its writes with WAITAOF. The
    search timeout is lifted (`TIMEOUT 0`) so that slow baselines are measured
    instead of failing at the product's 500 ms limit.
    """
    with tempfile.TemporaryDirectory(prefix="picat-bench-") as scratch:
        server = EmbeddedRedis(free_port(), Path(scratch), str(Path(scratch) / "redis.log"))
        with server:
            r = connect(server.url, socket_timeout=600)
            if not durable:
                r.config_set("appendonly", "no")
            r.execute_command("FT.CONFIG", "SET", "TIMEOUT", "0")
            try:
                yield server.url, r
            finally:
                r.close()


@contextmanager
def http_gallery(app: Flask) -> Iterator[tuple[str, int]]:
    """The app under waitress (as `picat web` serves it) on a free 127.0.0.1 port."""
    server = make_server(app, "127.0.0.1", 0)

    def serve() -> None:
        with contextlib.suppress(OSError):  # close() takes the sockets from under the loop
            server.run()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", int(server.effective_port)
    finally:
        server.task_dispatcher.shutdown()  # let responses in flight finish first
        server.close()
        thread.join(timeout=5)
