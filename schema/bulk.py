"""Curating many pictures at once: delete, keep, or find them, in bounded batches.

Every key is built with `Catalogue.key(id)` from a validated id (keys found through
the index whose name is not an image id are stepped past, never touched), so a bulk
operation can never touch a key outside the catalogue's prefix.

A "kept" picture is one without a TTL (the gallery shows it as never expiring).
Deleting goes through `store.delete_pictures`, the one delete every path uses;
without `include_kept` it spares kept pictures atomically (see there). "All
matching" works through the index a batch at a time: deleted or kept pictures leave
the query's results, so each batch asks for the first `batch` ids again (after those
that stay), and the caller repeats until a step reaches the end of the matches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import redis

from . import store
from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .ids import is_valid_image_id
from .query import Constraints, Filters, run_search, search_argv

log = logging.getLogger(__name__)

DEFAULT_BATCH = 500


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
    """Delete these pictures (through `store.delete_pictures`); kept ones (no TTL) only when
    `include_kept`."""
    total = Tally()
    for ids in chunks(image_ids, batch):
        deleted = store.delete_pictures(r, ids, include_kept=include_kept, catalogue=catalogue)
        total += Tally(done=len(deleted.ids), kept=deleted.kept)
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
                pipe.hdel(key, "expires_at")
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
    constraints = Constraints.from_filters(filters).taken_within(end=before)
    return constraints.expiring_only() if expiring_only else constraints


@dataclass(frozen=True)
class Found:
    """One batch of matches: ids of pictures, how many keys were not picture ids, the total."""

    ids: list[str]
    unreadable: int
    total: int


def find(
    r: redis.Redis,
    constraints: Constraints,
    limit: int,
    *,
    offset: int = 0,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Found:
    """Matches `offset`.. in the index's own order (no sorting cost); with `limit` 0, only
    how many (`total`).

    Keys under the prefix whose name is not an image id are counted, never touched.
    """
    if not constraints.can_match():
        return Found([], 0, 0)
    reply = run_search(
        r, search_argv(catalogue.index, constraints.text(), limit=limit, offset=offset)
    )
    names = [key.decode() if isinstance(key, bytes) else key for key in reply[1:]]
    ids = [name.removeprefix(catalogue.prefix) for name in names]
    valid = [image_id for image_id in ids if is_valid_image_id(image_id)]
    return Found(valid, len(ids) - len(valid), int(reply[0]))


@dataclass(frozen=True)
class Step:
    """One batch of an "all matching" operation: what was found and done, and whether
    the index has no more matches to work on."""

    found: int
    tally: Tally
    finished: bool


def _step(
    r: redis.Redis,
    constraints: Constraints,
    change: Callable[[list[str]], Tally],
    batch: int,
    catalogue: Catalogue,
) -> Step:
    """Change the first batch that has something to change, stepping past what stays.

    Keys that stay in the selection (kept pictures still carrying `expires_at`, keys
    that are not picture ids) would come back first in every batch, so the next search
    starts after them: a run ends when the index has no more matches, not at a batch
    in which nothing could be changed. They count as `kept` once, in the last step.
    """
    offset = found = kept = 0
    while True:
        batch_found = find(r, constraints, batch, offset=offset, catalogue=catalogue)
        tally = change(batch_found.ids)
        found += len(batch_found.ids) + batch_found.unreadable
        stay = tally.kept + batch_found.unreadable
        kept += tally.kept
        finished = offset + len(batch_found.ids) + batch_found.unreadable >= batch_found.total
        if tally.done or finished:
            return Step(found, Tally(tally.done, kept if finished else 0), finished)
        offset += stay


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
        constraints = constraints.expiring_only()
    return _step(
        r, constraints,
        lambda ids: delete_ids(r, ids, include_kept=include_kept, batch=batch, catalogue=catalogue),
        batch, catalogue,
    )


def keep_step(
    r: redis.Redis,
    constraints: Constraints,
    *,
    batch: int = DEFAULT_BATCH,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Step:
    """Keep the next batch of matching pictures that still expire."""
    return _step(
        r, constraints.expiring_only(),
        lambda ids: keep_ids(r, ids, batch=batch, catalogue=catalogue), batch, catalogue,
    )
