"""Curating many pictures at once: delete, keep, or find them, in bounded batches.

Every key is built with `Catalogue.key(id)` from a validated id (ids found through
the index come back as keys and are parsed with `Catalogue.id_from_key` first), so
a bulk operation can never touch a key outside the catalogue's prefix.

A "kept" picture is one without a TTL (the gallery shows it as never expiring).
Deleting without `include_kept` uses `PEXPIREAT key 1 XX`: a timestamp in the past
deletes the key at once, and `XX` makes Redis skip a key that has no expiry, so
the check and the delete are one atomic command per key, even if someone keeps the
picture at the same moment. "All matching" works through the index a batch at a
time: deleted or kept pictures leave the query's results, so each batch asks for
the first `batch` ids again, and the caller repeats until a batch finds none.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import redis

from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .query import Filters
from .query.commands import DIALECT
from .query.numbers import Range
from .query.text import EXPIRES_AT, TIMESTAMP, Constraints

DEFAULT_BATCH = 500
_PAST_MS = 1  # PEXPIREAT to 1 ms after the epoch: "already expired", deleted at once


@dataclass(frozen=True)
class Tally:
    """What one bulk call did: `done` pictures changed, `kept` skipped because kept."""

    done: int = 0
    kept: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.done + other.done, self.kept + other.kept)


def chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    """`items` in lists of at most `size`, so no pipeline grows without bound."""
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def delete_ids(
    r: redis.Redis,
    image_ids: Sequence[str],
    *,
    include_kept: bool = False,
    batch: int = DEFAULT_BATCH,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Tally:
    """Delete these pictures; kept ones (no TTL) only when `include_kept`."""
    total = Tally()
    for ids in chunks(image_ids, batch):
        keys = [catalogue.key(image_id) for image_id in ids]
        with r.pipeline(transaction=False) as pipe:
            for key in keys:
                if include_kept:
                    pipe.delete(key)
                else:
                    pipe.pexpireat(key, _PAST_MS, xx=True)
                    pipe.exists(key)
            replies = pipe.execute()
        if include_kept:
            total += Tally(done=sum(int(n) for n in replies))
        else:
            done = sum(int(n) for n in replies[0::2])
            total += Tally(done=done, kept=sum(int(n) for n in replies[1::2]))
    return total


def keep_ids(
    r: redis.Redis,
    image_ids: Sequence[str],
    *,
    batch: int = DEFAULT_BATCH,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Tally:
    """Remove the TTL and `expires_at` of these pictures; `done` counts those that had a TTL."""
    total = Tally()
    for ids in chunks(image_ids, batch):
        with r.pipeline(transaction=True) as pipe:
            for image_id in ids:
                key = catalogue.key(image_id)
                pipe.persist(key)
                pipe.hdel(key, EXPIRES_AT)
            replies = pipe.execute()
        total += Tally(done=sum(int(n) for n in replies[0::2]))
    return total


def selection(
    filters: Filters, *, before: float | None = None, expiring_only: bool = False
) -> Constraints:
    """The pictures "all matching" means: the filters, taken up to `before`.

    `before` freezes the selection at the moment the user confirmed, so a camera
    still writing into an open range is not chased forever. `expiring_only` leaves
    out kept pictures (they have no `expires_at` in the index).
    """
    constraints = Constraints.from_filters(filters)
    if before is not None:
        constraints = constraints.narrow(TIMESTAMP, Range(hi=before))
    if expiring_only:
        constraints = constraints.narrow(EXPIRES_AT, Range())
    return constraints


def search_ids_argv(index: str, constraints: Constraints, limit: int) -> list[str]:
    return ["FT.SEARCH", index, constraints.text(), "NOCONTENT", "LIMIT", "0", str(limit), *DIALECT]


def count_argv(index: str, constraints: Constraints) -> list[str]:
    return ["FT.SEARCH", index, constraints.text(), "LIMIT", "0", "0", *DIALECT]


def count(
    r: redis.Redis, constraints: Constraints, *, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> int:
    if not constraints.can_match():
        return 0
    return int(r.execute_command(*count_argv(catalogue.index, constraints))[0])


def first_ids(
    r: redis.Redis,
    constraints: Constraints,
    limit: int,
    *,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> list[str]:
    """Up to `limit` ids of matching pictures, in no particular order (no sorting cost)."""
    if not constraints.can_match():
        return []
    reply = r.execute_command(*search_ids_argv(catalogue.index, constraints, limit))
    return [catalogue.id_from_key(key) for key in reply[1:]]


@dataclass(frozen=True)
class Step:
    """One batch of an "all matching" operation: how many were found and what was done."""

    found: int
    tally: Tally

    @property
    def finished(self) -> bool:
        """No more work: nothing matched, or nothing could be changed (all left are kept)."""
        return self.found == 0 or self.tally.done == 0


def delete_step(
    r: redis.Redis,
    constraints: Constraints,
    *,
    include_kept: bool,
    batch: int = DEFAULT_BATCH,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Step:
    """Delete the next batch of matching pictures (build `constraints` with `selection`)."""
    if not include_kept:
        constraints = constraints.narrow(EXPIRES_AT, Range())
    ids = first_ids(r, constraints, batch, catalogue=catalogue)
    tally = delete_ids(r, ids, include_kept=include_kept, batch=batch, catalogue=catalogue)
    return Step(len(ids), tally)


def keep_step(
    r: redis.Redis,
    constraints: Constraints,
    *,
    batch: int = DEFAULT_BATCH,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Step:
    """Keep the next batch of matching pictures that still expire."""
    ids = first_ids(r, constraints.narrow(EXPIRES_AT, Range()), batch, catalogue=catalogue)
    return Step(len(ids), keep_ids(r, ids, batch=batch, catalogue=catalogue))
