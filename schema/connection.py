"""How every component talks to Redis."""

from __future__ import annotations

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry


def connect(url: str, **overrides: object) -> redis.Redis:
    """A client for `url` (`redis://`, `rediss://`, with user and password if given).

    Responses stay bytes because hashes hold raw JPEG data; RESP2 is pinned so
    search replies have the same shape as `redis-cli` shows and do not change with
    redis-py's default protocol. redis-py's `CLIENT SETINFO` on a new connection
    stays, though it costs two round trips: its reply also starts the connection's
    health-check clock, without which the first command is preceded by a PING that a
    server loading its data refuses, and the loading progress could not be read.
    """
    options: dict[str, object] = {
        "decode_responses": False,
        "protocol": 2,
        "socket_connect_timeout": 2.0,
        "socket_timeout": 10.0,
        "health_check_interval": 15,
        "retry": Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=2),
    }
    options.update(overrides)
    return redis.Redis.from_url(url, **options)
