"""The configured Redis for a `picat` command, and how a command ends with a message.

Commands that must tell an unreachable Redis from one that refused (`picat import`,
`picat query`) open their client with `configured_redis`; `picat.cli.main` prints a
`CommandError` and exits with its status. Here rather than in `picat.cli`, which also
runs as `python -m picat.cli` (then `__main__`, whose classes a command module
importing `picat.cli` would not share).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import redis

from picat.settings import Settings, safe_url


class CommandError(Exception):
    """A command's end with a message: `picat.cli.main` prints it and exits with `status`."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@contextmanager
def configured_redis(
    command: str, settings: Settings, open_client: Callable[[str], redis.Redis] | None = None
) -> Iterator[redis.Redis]:
    """A client for the configured Redis (`REDIS_URL`, else the embedded server), from
    `open_client` (`picat.schema.connect` unless the command needs another kind), closed
    afterwards; a Redis that cannot be reached ends the command with status 2 and
    `picat <command>: cannot reach Redis at <url without password> (<why>)`."""
    if open_client is None:
        from picat.schema import connect as open_client
    url = settings.effective_redis_url
    client = open_client(url)
    try:
        yield client
    except redis.ConnectionError as exc:
        raise CommandError(
            f"picat {command}: cannot reach Redis at {safe_url(url)} ({exc})", 2
        ) from exc
    finally:
        client.close()
