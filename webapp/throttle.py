"""Login throttling: a few wrong passwords from one address lock it out for a while.

scrypt already makes each guess slow; this caps guesses per address at
`MAX_FAILURES` per `WINDOW` seconds, so a password cannot be brute-forced over a
tunnel. State is in memory: a restart forgets it, which only helps the owner.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 5
WINDOW = 15 * 60.0
_MAX_ADDRESSES = 10_000


class LoginThrottle:
    def __init__(
        self, max_failures: int = MAX_FAILURES, window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.get(address, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, address: str) -> int:
        """Seconds until `address` may try again; 0 if it may try now."""
        with self._lock:
            now = self.clock()
            failures = self._recent(address, now)
            if len(failures) < self.max_failures:
                return 0
            return max(1, int(failures[0] + self.window - now) + 1)

    def failed(self, address: str) -> None:
        with self._lock:
            now = self.clock()
            if len(self._failures) >= _MAX_ADDRESSES:
                self._failures.clear()  # a flood of addresses: forget rather than grow
            failures = self._recent(address, now)
            failures.append(now)
            self._failures[address] = failures

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)
