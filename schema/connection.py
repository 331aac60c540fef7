"""How every component talks to Redis."""

from __future__ import annotations

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry


def connect(url: str, **overrides: object) -> redis.Redis:
    """A client for `url` (`redis://`, `rediss://`, with user and password if given).

    Responses stay bytes because hashes hold raw JPEG data; RESP2 is pinned so
    search replies have the same shape as `redis-cli` shows and do not change with
    redis-py's default protocol. redis-py's `CLIENT SETINFO` on every new plain
    connection is left out: two more round trips that made a fresh process's first page 1 to 3
    ms slower (`bench.paging`, "fresh client"), for a label in `CLIENT LIST`.
    """
    options: dict[str, object] = {
        "decode_responses": False,
        "protocol": 2,
        "socket_connect_timeout": 2.0,
        "socket_timeout": 10.0,
        "health_check_interval": 15,
        "retry": Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=2),
    }
    if not url.startswith("rediss:"):
        # Over TLS the exchange also reads the server's session tickets, without which
        # redis-py finds unread data on a new connection and refuses it.
        options["driver_info"] = None
    options.update(overrides)
    return redis.Redis.from_url(url, **options)
