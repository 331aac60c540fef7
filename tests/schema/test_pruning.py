"""Retention by size: the oldest unkept pictures go first, in exact capture order, down to
the low-water mark; kept pictures never go; one process prunes at a time."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import pytest
import redis

from picat.embedded import EmbeddedRedis
from picat.schema import (
    DEFAULT_CATALOGUE,
    Image,
    connect,
    index,
    pruning,
    storage,
    store,
)

from ..factories import picture
from ..running import wait_for

PICTURE = 20_000


def fill(r: redis.Redis, count: int, start: float, kept_every: int = 0) -> list[Image]:
    """`count` pictures one second apart from `start`, every `kept_every`-th kept."""
    images = []
    for n in range(count):
        taken = start + n
        kept = kept_every and n % kept_every == 0
        image = picture(taken, lux=1.0, expires_at=None if kept else time.time() + 3600)
        store.save(r, image, os.urandom(PICTURE), b"thumb")
        images.append(image)
    return images


@pytest.fixture
def server(embedded_redis: Callable[..., EmbeddedRedis]) -> redis.Redis:
    r = connect(embedded_redis().url)
    index.apply(r)
    return r


def remaining(r: redis.Redis, images: list[Image]) -> list[str]:
    return [image.pk for image in images if r.exists(DEFAULT_CATALOGUE.key(image.pk))]


def test_pruning_deletes_the_oldest_unkept_first_down_to_the_low_water_mark(
    server: redis.Redis,
) -> None:
    r = server
    images = fill(r, 300, 1_700_000_000, kept_every=7)
    used = storage.memory(r).used
    budget = int(used / 0.95)  # small: its high-water mark is half of it

    run = pruning.prune(r, budget, batch=25)

    assert run is not None and run.ids
    high, low = storage.water_marks(budget)
    assert (high, low) == (budget // 2, int(budget / 2 - budget / 10))
    assert storage.memory(r).used <= low
    kept = [image.pk for image in images if image.expires_at is None]
    unkept = [image for image in images if image.expires_at is not None]
    left = remaining(r, images)
    # Every kept picture stays; the unkept ones that stay are exactly the newest.
    assert set(kept) <= set(left)
    gone = [image for image in unkept if image.pk not in left]
    assert gone == unkept[: len(gone)] and len(gone) == len(run.ids)
    assert [image.pk for image in gone] == sorted(run.ids)
    assert (run.first, run.last) == (gone[0].timestamp, gone[-1].timestamp)
    line = run.describe()
    assert line.startswith(f"pruned {len(gone)} pictures taken ")
    assert f"to stay under {storage.size(budget)} " in line

    assert pruning.prune(r, budget) is None  # under the high-water mark now: nothing to do


def test_kept_pictures_are_never_pruned_even_when_they_fill_the_budget(
    server: redis.Redis,
) -> None:
    r = server
    images = fill(r, 60, 1_700_000_000, kept_every=2)
    run = pruning.prune(r, storage.memory(r).used // 2)
    assert run is not None and run.only_kept_left
    assert remaining(r, images) == [image.pk for image in images if image.expires_at is None]
    assert "only kept pictures are left" in run.describe()


def test_one_process_prunes_at_a_time(server: redis.Redis) -> None:
    first = pruning.Retention(server, None)
    second = pruning.Retention(server, None)
    assert first.lease.hold() and not second.lease.hold()
    assert first.lease.hold()  # its holder renews it
    first.lease.release()
    assert second.lease.hold() and not first.lease.hold()


def test_retention_runs_in_the_background_and_logs_each_run(
    server: redis.Redis,
) -> None:
    r = server
    images = fill(r, 100, 1_700_000_000)
    lines: list[str] = []
    budget = int(storage.memory(r).used / 0.95)
    retention = pruning.Retention(r, budget, report=lines.append, tick=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=retention.run, args=(stop,))
    thread.start()
    try:
        wait_for(lambda: lines, 10, "retention never pruned")
    finally:
        stop.set()
        thread.join()
    assert lines[0].startswith("pruned ")
    assert len(remaining(r, images)) == 100 - sum(len(run.ids) for run in retention.runs)
    assert not r.exists(DEFAULT_CATALOGUE.lease_key)  # released on stop
    published = r.hgetall(DEFAULT_CATALOGUE.status_key)
    assert int(published[b"budget"]) == budget and int(published[b"kept"]) == 0


def test_the_budget_is_the_smaller_of_maxmemory_and_the_setting_and_none_is_warned(
    server: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    server.config_set("maxmemory", 500_000_000)
    assert storage.budget(storage.memory(server), 200_000_000) == 200_000_000
    assert storage.budget(storage.memory(server), None) == 500_000_000
    assert storage.budget(storage.memory(server), 900_000_000) == 500_000_000
    server.config_set("maxmemory", 0)  # an external server without maxmemory
    assert storage.budget(storage.memory(server), None) is None
    with caplog.at_level("WARNING", logger="picat.retention"):
        assert pruning.Retention(server, None).step() is None
    assert "this Redis has no maxmemory and PICAT_MEMORY_BUDGET is unset" in caplog.text


def test_windowed_searches_keep_the_exact_order_across_gaps_and_older_pictures(
    server: redis.Redis,
) -> None:
    """Each batch searches a window that starts at -inf: a picture older than where the
    last run stopped still goes first, and a gap of days between captures is crossed."""
    r = server
    start = 1_700_000_000
    old = fill(r, 20, start)  # older than the floor given below: must still go first
    recent = fill(r, 60, start + 2 * 86400) + fill(r, 60, start + 4 * 86400)  # two gaps
    budget = int(storage.memory(r).used / 0.95)
    run = pruning.prune(r, budget, batch=7, after=recent[10].timestamp)
    assert run is not None
    everything = old + recent
    gone = [image.pk for image in everything if image.pk not in remaining(r, everything)]
    assert gone == [image.pk for image in everything[: len(gone)]]
    assert len(gone) > len(old) + 60  # past both gaps
    assert sorted(run.ids) == gone
