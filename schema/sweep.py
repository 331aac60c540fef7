"""The orphan sweep: remove blobs that no hash refers to any more.

A picture that expires through its TTL is deleted by Redis itself, which cannot
reach a folder or a bucket, so its original stays behind; so does the blob of a
capture that crashed between writing the blob and writing its hash, and one whose
delete could not reach the store. A blob's key is its hash's key, so the sweep
lists the store's blobs of a catalogue, asks Redis whether each one's hash still
names it (`blob_store`, `blob_key`), and removes those that no hash names and that
were last written more than `grace` seconds ago (a capture writes its blob just
before its hash, and every retry writes the blob again, so a blob younger than the
grace period may still be about to get its hash).

It works in batches of `batch` blobs (one pipelined HMGET each, one delete each),
logs each batch, and records the last key it checked in Redis, so an interrupted
sweep resumes where it stopped; a finished pass clears that mark.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

import redis

from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .connection import connect
from .originals import BlobStore, Listed
from .replies import text

log = logging.getLogger(__name__)

DEFAULT_GRACE = 3600
DEFAULT_BATCH = 500
SWEEP_EVERY = 3600.0
"""Seconds between two passes of `picat up`'s sweeper."""
FIRST_SWEEP = 60.0
"""Seconds after start-up of the first sweep in `picat up`: not while everything starts."""


@dataclass(frozen=True)
class SweepReport:
    checked: int
    removed: int
    finished: bool
    """False when it stopped after `max_batches`: the next sweep resumes after the last key."""


def cursor_key(blob_store: BlobStore, catalogue: Catalogue) -> str:
    """Where the last key checked is kept between runs, per store and catalogue."""
    return f"picat:sweep:{catalogue.prefix}{blob_store.spec}"


def _batches(listed: Iterator[Listed], size: int) -> Iterator[list[Listed]]:
    while batch := list(islice(listed, size)):
        yield batch


def sweep(
    r: redis.Redis,
    blob_store: BlobStore,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
    *,
    grace: float = DEFAULT_GRACE,
    batch: int = DEFAULT_BATCH,
    max_batches: int | None = None,
    now: float | None = None,
) -> SweepReport:
    """One pass (or `max_batches` batches of one) over the blobs of `catalogue` in `blob_store`."""
    mark = cursor_key(blob_store, catalogue)
    after = (r.get(mark) or b"").decode()
    if after:
        log.info("sweep of %s resumes after %s", blob_store.spec, after)
    cutoff = (time.time() if now is None else now) - grace
    checked = removed = 0
    for done, listed in enumerate(_batches(blob_store.scan(catalogue.prefix, after), batch), 1):
        with r.pipeline(transaction=False) as pipe:
            for blob in listed:
                pipe.hmget(blob.key, "blob_store", "blob_key")
            references = pipe.execute()
        orphans = [
            blob.key for blob, reference in zip(listed, references, strict=True)
            if [text(value) for value in reference] != [blob_store.spec, blob.key]
            and blob.modified <= cutoff
        ]
        if orphans:
            blob_store.delete(orphans)
        checked += len(listed)
        removed += len(orphans)
        r.set(mark, listed[-1].key)
        log.info("sweep of %s: checked %d blobs up to %s, removed %d without a hash",
                 blob_store.spec, len(listed), listed[-1].key, len(orphans))
        if max_batches is not None and done >= max_batches:
            return SweepReport(checked, removed, finished=False)
    r.delete(mark)
    log.info("sweep of %s finished: checked %d blobs, removed %d", blob_store.spec, checked,
             removed)
    return SweepReport(checked, removed, finished=True)


def sweep_periodically(redis_url: str, catalogue: Catalogue, stop: threading.Event) -> None:
    """`picat up`'s sweeper: a pass every `SWEEP_EVERY` seconds until `stop`; a failed pass is
    logged and tried again at the next, resuming where it stopped."""
    assert catalogue.originals is not None
    r = connect(redis_url)
    wait = FIRST_SWEEP
    while not stop.wait(wait):
        wait = SWEEP_EVERY
        try:
            sweep(r, catalogue.originals, catalogue)
        except Exception:
            log.exception("the sweep of %s failed; the next one resumes it",
                          catalogue.originals.spec)
