"""Login throttling in Redis: wrong passwords counted per client and per account, for every worker.

scrypt already makes each guess slow; this caps guesses at `MAX_FAILURES` per client
address and `ACCOUNT_MAX_FAILURES` per account (the curator's and the viewer's
password, whoever sends them) per `WINDOW` seconds. The counts live in Redis, so
every gallery process and every restart sees the same ones: three workers do not
allow three times the guesses.

Each attempt is counted before the password is checked (and taken back if it was
right), so parallel guesses cannot all slip in while scrypt runs: an attempt is a
member of a sorted set scored by its time, added in one MULTI with the count that
results, and it goes ahead only if that count is within the limit. A right
password takes back its own attempt and clears the count of the account it
opened; only the curator's clears the client's count too, so knowing the read-only
password never lifts a lockout on guessing the curator's.

Flask-Limiter was considered: it counts requests with a Redis storage, and can
deduct only failed ones (`deduct_when`), but it checks before the request and
deducts after it, so guesses sent at once all pass while scrypt runs; and it has no
"take back this attempt" for a right password. This module, under 100 lines, does.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence

import redis

MAX_FAILURES = 5
ACCOUNT_MAX_FAILURES = 20
"""Per password, from all clients together: a botnet of addresses gets 20 guesses per
window, not 5 per address; the owner may then have to wait too, which is the price."""
WINDOW = 15 * 60.0
ACCOUNTS = ("curator", "viewer")


class LoginThrottle:
    def __init__(
        self, r: redis.Redis, namespace: str, max_failures: int = MAX_FAILURES,
        account_max_failures: int = ACCOUNT_MAX_FAILURES, window: float = WINDOW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.r = r
        self.namespace = namespace
        self.limits = {"client": max_failures, "account": account_max_failures}
        self.window = window
        self.clock = clock

    def _client(self, address: str) -> str:
        return f"{self.namespace}client:{address}"

    def _account(self, role: str) -> str:
        return f"{self.namespace}account:{role}"

    def _keys(self, address: str) -> list[tuple[str, int]]:
        return [(self._client(address), self.limits["client"]),
                *((self._account(role), self.limits["account"]) for role in ACCOUNTS)]

    def attempt(self, address: str) -> tuple[int, str]:
        """(seconds until `address` may try again, or 0, the attempt's token). With 0 the
        attempt counts as a failure until `succeeded` takes it back."""
        now = self.clock()
        token = f"{now:.6f}:{secrets.token_hex(6)}"
        keys = self._keys(address)
        with self.r.pipeline(transaction=True) as pipe:
            for key, _ in keys:
                pipe.zremrangebyscore(key, "-inf", now - self.window)
                pipe.zadd(key, {token: now})
                pipe.zcard(key)
                pipe.zrange(key, 0, 0, withscores=True)
                pipe.expire(key, int(self.window) + 1)
            replies = pipe.execute()
        wait = 0
        for (_, limit), at in zip(keys, range(0, len(replies), 5), strict=True):
            counted, oldest = replies[at + 2], replies[at + 3]
            if counted > limit:
                first = oldest[0][1] if oldest else now
                wait = max(wait, int(first + self.window - now) + 1)
        if wait:
            self._take_back([key for key, _ in keys], token)
        return wait, token

    def _take_back(self, keys: Sequence[str], token: str) -> None:
        with self.r.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.zrem(key, token)
            pipe.execute()

    def succeeded(self, address: str, token: str, role: str) -> None:
        """The attempt `token` was right and opened `role`: it was no failure."""
        keys = [key for key, _ in self._keys(address)]
        self._take_back(keys, token)
        cleared = [self._account(role)]
        if role == "curator":
            cleared.append(self._client(address))
        self.r.delete(*cleared)
