"""How far a Redis that is loading its data has got, from `INFO persistence`.

After a restart Redis reads its append-only file (or RDB) before it answers any
command but a few (INFO among them): every other reply is `-LOADING`. A catalogue of
a few GB takes tens of seconds to load, so whoever waits (the `picat` commands, the
gallery's 503, capture's spool) says how far it is instead of giving up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from .replies import text

MB = 1_000_000


@dataclass(frozen=True)
class Loading:
    """A loading server's progress: percent, bytes read of the total, Redis's own ETA."""

    percent: float
    loaded_bytes: int
    total_bytes: int
    eta_seconds: int | None
    """None while Redis cannot estimate it yet (it reports -1 or 1 at the start)."""

    def describe(self) -> str:
        """"63 % (76 of 120 MB), about 5 s left" """
        loaded, total = self.loaded_bytes / MB, self.total_bytes / MB
        done = f"{self.percent:.0f} % ({loaded:,.0f} of {total:,.0f} MB)"
        if self.eta_seconds is None:
            return done
        return f"{done}, about {_duration(self.eta_seconds)} left"


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def parse(info: dict[str, object]) -> Loading | None:
    """The progress in an `INFO persistence` reply; None when the server is not loading."""
    if text(info.get("loading")) != "1":
        return None

    def number(field: str) -> float:
        try:
            return float(text(info.get(field)) or 0)
        except ValueError:
            return 0.0

    eta = int(number("loading_eta_seconds"))
    return Loading(
        percent=number("loading_loaded_perc"),
        loaded_bytes=int(number("loading_loaded_bytes")),
        total_bytes=int(number("loading_total_bytes")),
        eta_seconds=eta if eta > 0 and number("loading_loaded_perc") >= 1 else None,
    )


def progress(r: redis.Redis) -> Loading | None:
    """How far the server has loaded its data; None once it has (or if it may not say)."""
    try:
        return parse(r.info("persistence"))
    except redis.exceptions.NoPermissionError:
        return None


def wait_until_loaded(
    r: redis.Redis,
    report: Callable[[str], None],
    stopped: Callable[[], bool] = lambda: False,
    report_every: float = 2.0,
) -> bool:
    """Wait while the server replies `-LOADING`, reporting its progress every few seconds.

    True once it answers; False if `stopped()` became true first. A server that cannot
    be reached raises, as any command would.
    """
    next_report = time.monotonic()
    while not stopped():
        try:
            r.ping()
            return True
        except redis.BusyLoadingError:
            current = progress(r)
            if current is not None and time.monotonic() >= next_report:
                report(f"Redis is loading its data: {current.describe()}")
                next_report = time.monotonic() + report_every
        time.sleep(0.1)
    return False
