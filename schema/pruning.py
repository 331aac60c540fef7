"""Retention by size: before Redis reaches the memory budget, delete the oldest pictures
that are not kept, in exact capture order, until memory is back under a low-water mark.

Redis's own eviction samples keys, so it deletes pictures at random (measured: the 3rd
and 83rd of 300 survived while newer ones went). The index knows the exact order:
`FT.SEARCH idx:images "@expires_at:[-inf +inf]" SORTBY timestamp ASC` lists the
oldest pictures that expire (kept ones have no `expires_at`), a batch at a time, and
each goes through `store.delete_pictures` without `include_kept`, so a picture kept
between the search and the delete stays. TTL retention goes on beside it: whichever
comes first deletes a picture.

The marks (`storage.water_marks`): start at the budget less 10 % of it (at least
32 MB, two of capture's write batches, which can arrive between two looks; at most
half the budget), delete 10 % of the budget more.

Exactly one process prunes a Redis at a time, however many galleries and cameras
share it: each tick, a `Retention` first holds a lease in Redis (`SET NX PX`,
renewed by its holder under `WATCH`), and only the holder measures and prunes.
"""

from __future__ import annotations

import contextlib
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import redis

from . import functions, storage, store
from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .ids import is_valid_image_id
from .replies import text

log = logging.getLogger("picat.retention")

BATCH = 200
WINDOW = 60.0
"""Seconds of capture time the first windowed search reaches past the last picture pruned."""
TICK = 0.25
"""Seconds between two looks at used memory: fast capture adds a few MB a tick at most."""
LEASE_MS = 5000
PUBLISH_EVERY = 60.0
"""Seconds between two updates of the numbers capture quotes when Redis is full: counting
kept pictures is a search over every picture (about 0.1 s per million, more on a busy
machine), so it is not done at every look."""
PUBLISH_RETRY = 600.0
"""After a count that failed (the search timed out), wait this long before the next."""


@dataclass
class Pruned:
    """One pruning run: how many pictures went, the capture times they spanned, memory."""

    budget: int
    used_before: int
    used_after: int = 0
    ids: list[str] = field(default_factory=list)
    first: float | None = None
    last: float | None = None
    only_kept_left: bool = False
    """True when nothing but kept pictures was left to delete: the budget is too small."""

    def add(self, image_ids: list[str], timestamps: dict[str, float]) -> None:
        self.ids.extend(image_ids)
        for image_id in image_ids:
            taken = timestamps[image_id]
            self.first = taken if self.first is None else min(self.first, taken)
            self.last = taken if self.last is None else max(self.last, taken)

    def describe(self) -> str:
        """"pruned 412 pictures taken 2026-11-20 06:00 to 09:10 to stay under 2.0 GB" """
        memory = f"({storage.size(self.used_before)} -> {storage.size(self.used_after)} used)"
        if not self.ids:
            line = f"pruned nothing {memory}"
        else:
            line = (
                f"pruned {len(self.ids):,} pictures taken {_when(self.first)} to "
                f"{_when(self.last)} to stay under {storage.size(self.budget)} {memory}"
            )
        if self.only_kept_left:
            line += (
                "; only kept pictures are left, and they alone fill the budget: "
                "raise PICAT_MEMORY_BUDGET or un-keep pictures"
            )
        return line


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "?"
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def oldest_unkept(
    r: redis.Redis,
    limit: int,
    offset: int = 0,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
    before: float | None = None,
) -> list[tuple[str, float | None]]:
    """(key name after the prefix, capture time) of the oldest pictures that expire, taken
    before `before` if given: a sort costs what matches, so a window that starts at
    -inf (every older picture is in it) but ends soon after the last one pruned keeps
    each batch cheap however many pictures there are."""
    query = "@expires_at:[-inf +inf]"
    if before is not None:
        query += f" @timestamp:[-inf {before:.3f}]"
    reply = functions.call(r, "query", (), (
        "FT.SEARCH", catalogue.index, query,
        "SORTBY", "timestamp", "ASC", "LIMIT", str(offset), str(limit),
        "RETURN", "1", "timestamp", "DIALECT", "2",
    ))
    rows = []
    for key, fields in zip(reply[1::2], reply[2::2], strict=True):
        values = dict(zip(fields[0::2], fields[1::2], strict=True))
        raw = text(values.get(b"timestamp", values.get("timestamp")))
        rows.append((text(key).removeprefix(catalogue.prefix), float(raw) if raw else None))
    return rows


def prune(
    r: redis.Redis,
    budget: int,
    *,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
    batch: int = BATCH,
    still_mine: Callable[[], bool] = lambda: True,
    after: float | None = None,
) -> Pruned | None:
    """Delete the oldest unkept pictures until used memory is under the low-water mark, if
    it has reached the high one (`storage.water_marks`); None when it had not. It stops
    early once `still_mine()` is false (the process lost its lease during a long run).

    `after` (the capture time of the last picture an earlier run pruned) lets the first
    search look at a window, not the whole catalogue; each later batch looks at a window
    twice as long as the previous batch spanned. An empty window falls back to the
    whole order, so the result is the same as sorting everything every time."""
    used = storage.memory(r).used
    high, low = storage.water_marks(budget)
    if used < high:
        return None
    run = Pruned(budget=budget, used_before=used)
    offset = 0  # past keys that stay in the results (not picture ids)
    pictures = storage.picture_count(r, catalogue)
    before = None if after is None else after + WINDOW
    while used > low and still_mine():
        # No more than the excess needs, at the average size, so a batch never overshoots much.
        per_picture = used / max(pictures, 1)
        wanted = max(1, min(batch, math.ceil((used - low) / per_picture)))
        rows = oldest_unkept(r, wanted, offset, catalogue, before)
        if not rows and before is not None:
            before = None  # nothing left in the window: the whole order decides
            continue
        if not rows:
            run.only_kept_left = True
            break
        timestamps = {
            image_id: taken or 0.0 for image_id, taken in rows if is_valid_image_id(image_id)
        }
        if timestamps:
            first, last = min(timestamps.values()), max(timestamps.values())
            before = last + max(WINDOW, 2 * (last - first))
        offset += len(rows) - len(timestamps)
        deleted = store.delete_pictures(
            r, list(timestamps), include_kept=False, catalogue=catalogue
        )
        offset += deleted.kept  # kept since the search, still carrying `expires_at`
        run.add(deleted.ids, timestamps)
        pictures -= len(deleted.ids)
        used = storage.memory(r).used
    run.used_after = used
    return run


class Lease:
    """Who prunes: a token in Redis with a short expiry, renewed only by its holder."""

    def __init__(self, r: redis.Redis, key: str, ttl_ms: int = LEASE_MS) -> None:
        self.r, self.key, self.ttl_ms = r, key, ttl_ms
        self.token = secrets.token_hex(8)
        self._renewed: float | None = None

    def hold(self) -> bool:
        """True if this process holds the lease now (taking it if free, renewing it if ours).

        A renewal is a write that goes to the append-only file, so the holder renews only
        once a third of the lease has passed; until then it still holds two thirds."""
        now = time.monotonic()
        if self._renewed is not None and now - self._renewed < self.ttl_ms / 3000:
            return True
        self._renewed = None
        if self.r.set(self.key, self.token, nx=True, px=self.ttl_ms):
            self._renewed = now
            return True
        with self.r.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(self.key)
                if text(pipe.get(self.key)) != self.token:
                    return False
                pipe.multi()
                pipe.pexpire(self.key, self.ttl_ms)
                pipe.execute()
            except redis.WatchError:
                return False
        self._renewed = now
        return True

    def release(self) -> None:
        self._renewed = None
        with self.r.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(self.key)
                if text(pipe.get(self.key)) == self.token:
                    pipe.multi()
                    pipe.delete(self.key)
                    pipe.execute()
            except redis.WatchError:
                pass


class Retention:
    """Retention by size for one Redis: run `run` in a thread of every gallery process;
    the lease lets exactly one of them prune at a time."""

    def __init__(
        self,
        r: redis.Redis,
        setting: int | None,
        catalogue: Catalogue = DEFAULT_CATALOGUE,
        report: Callable[[str], None] = log.info,
        tick: float = TICK,
    ) -> None:
        self.r, self.setting, self.catalogue = r, setting, catalogue
        self.report, self.tick = report, tick
        self.lease = Lease(r, catalogue.lease_key)
        self.runs: list[Pruned] = []
        self._warned: str | None = None
        self._published = -PUBLISH_EVERY
        self.floor: float | None = None
        """Capture time of the last picture this process pruned: where the next run looks."""

    def step(self) -> Pruned | None:
        """One look: prune if this process holds the lease and memory is high."""
        if not self.lease.hold():
            return None
        current = storage.memory(self.r)
        warning = storage.no_budget_warning(current, self.setting)
        if warning and warning != self._warned:
            log.warning(warning)
        self._warned = warning
        budget = storage.budget(current, self.setting)
        if budget is None:
            return None
        run = prune(
            self.r, budget, catalogue=self.catalogue, still_mine=self.lease.hold,
            after=self.floor,
        )
        if run is not None:
            self.floor = run.last if run.last is not None else self.floor
            self.runs.append(run)
            self.report(run.describe())
        if run is not None or time.monotonic() - self._published > PUBLISH_EVERY:
            self._publish(budget)
        return run

    def _publish(self, budget: int) -> None:
        self._published = time.monotonic()
        try:
            kept = storage.holdings(self.r, self.catalogue).kept
            storage.publish(self.r, storage.memory(self.r), budget, kept, self.catalogue)
        except redis.exceptions.OutOfMemoryError:
            pass  # full: the numbers already there are the latest that fitted
        except redis.ResponseError as exc:  # the count timed out: a huge or busy catalogue
            log.warning("could not count kept pictures (%s): next try in %.0f s",
                        exc, PUBLISH_RETRY)
            self._published += PUBLISH_RETRY - PUBLISH_EVERY

    def run(self, stop: threading.Event) -> None:
        """Look every `tick` seconds until `stop`; a Redis that is away or loading is waited
        for (said once), never a reason to stop."""
        trouble: str | None = None
        while not stop.wait(self.tick):
            try:
                self.step()
            except redis.RedisError as exc:
                if str(exc) != trouble:
                    log.warning("retention by size waits for Redis: %s", exc)
                trouble = str(exc)
                stop.wait(1.0)
                continue
            if trouble is not None:
                log.info("retention by size runs again")
                trouble = None
        with contextlib.suppress(redis.RedisError):
            self.lease.release()
