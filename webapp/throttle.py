"""Login throttling: a few wrong passwords from one address lock it out for a while.

scrypt already makes each guess slow; this caps guesses per address at
`MAX_FAILURES` per `WINDOW` seconds, so a password cannot be brute-forced over a
tunnel. Each attempt is counted before the password is checked (and forgotten if
it was right), so parallel guesses cannot all slip in while scrypt runs. State is
in memory: a restart forgets it, which only helps the owner.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 5
WINDOW = 15 * 60.0
MAX_ADDRESSES = 10_000


class LoginThrottle:
    def __init__(
        self, max_failures: int = MAX_FAILURES, window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic, max_addresses: int = MAX_ADDRESSES,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self.max_addresses = max_addresses
        # Least recently tried first: a flood of addresses evicts the stalest ones.
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.pop(address, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def attempt(self, address: str) -> int:
        """Seconds until `address` may try again, or 0: then this try counts as a failure
        until `succeeded` forgets it."""
        with self._lock:
            now = self.clock()
            failures = self._recent(address, now)
            wait = 0
            if len(failures) >= self.max_failures:
                wait = max(1, int(failures[0] + self.window - now) + 1)
            else:
                failures.append(now)
            while len(self._failures) >= self.max_addresses:
                del self._failures[next(iter(self._failures))]
            if failures:
                self._failures[address] = failures
            return wait

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)
