"""Bulk delete and keep against a real Redis: kept pictures are safe, foreign keys untouched."""

from __future__ import annotations

from collections.abc import Callable

import redis

from picat.schema import Catalogue, store
from picat.schema.bulk import (
    Step,
    delete_ids,
    delete_step,
    find,
    keep_ids,
    keep_step,
    selection,
)
from picat.schema.query import Filters

from ..factories import picture

BASE = 1_790_000_000.0


def _add(r: redis.Redis, catalogue: Catalogue, n: int, *, kept_every: int = 0) -> list[str]:
    ids = []
    for i in range(n):
        kept = kept_every and i % kept_every == 0
        image = picture(
            BASE + i, lux=float(i), camera="garden", expires_at=None if kept else 4_000_000_000.0,
        )
        store.save(r, image, b"jpeg", None, catalogue)
        ids.append(image.pk)
    return ids


def _left(r: redis.Redis, catalogue: Catalogue) -> set[str]:
    keys = r.scan_iter(match=catalogue.prefix + "*")
    return {key.decode().removeprefix(catalogue.prefix) for key in keys}


def test_delete_ids_skips_kept_unless_asked(r: redis.Redis, catalogue: Catalogue) -> None:
    ids = _add(r, catalogue, 12, kept_every=3)  # 0, 3, 6, 9 are kept
    tally = delete_ids(r, ids, batch=5, catalogue=catalogue)
    assert (tally.done, tally.kept) == (8, 4)
    assert _left(r, catalogue) == {ids[i] for i in (0, 3, 6, 9)}
    assert delete_ids(r, ids, include_kept=True, catalogue=catalogue).done == 4
    assert _left(r, catalogue) == set()


def test_delete_all_matching_in_batches_never_touches_other_keys(
    r: redis.Redis, catalogue: Catalogue
) -> None:
    ids = _add(r, catalogue, 23, kept_every=4)
    outsider = catalogue.prefix.removesuffix("image:") + "other:" + ids[1]
    r.set(outsider, "not a picture")
    try:
        wanted = selection(Filters(lux_min=5), before=BASE + 20)  # lux 5..20 -> 16 pictures
        assert find(r, wanted, 0, catalogue=catalogue).total == 16
        expiring = selection(Filters(lux_min=5), before=BASE + 20, expiring_only=True)
        assert find(r, expiring, 0, catalogue=catalogue).total == 12
        steps = []
        while True:
            step = delete_step(r, wanted, include_kept=False, batch=5, catalogue=catalogue)
            steps.append(step)
            if step.finished:
                break
        assert sum(s.tally.done for s in steps) == 12
        assert len(steps) == 3  # 5 + 5 + 2, and the third reaches the end
        expected = {ids[i] for i in range(23) if i < 5 or i > 20 or i % 4 == 0}
        assert _left(r, catalogue) == expected
        assert r.get(outsider) == b"not a picture"
    finally:
        r.delete(outsider)


def test_keep_ids_and_keep_all_matching(r: redis.Redis, catalogue: Catalogue) -> None:
    ids = _add(r, catalogue, 10)
    assert keep_ids(r, ids[:3], catalogue=catalogue).done == 3
    assert r.ttl(catalogue.key(ids[0])) == -1
    assert store.load(r, ids[0], catalogue).expires_at is None
    step = keep_step(r, selection(Filters(lux_max=6)), batch=100, catalogue=catalogue)
    assert (step.found, step.tally.done) == (4, 4)  # 3..6; 0..2 were already kept
    assert keep_step(r, selection(Filters(lux_max=6)), catalogue=catalogue).finished
    assert [r.ttl(catalogue.key(i)) == -1 for i in ids] == [True] * 7 + [False] * 3
    assert delete_ids(r, ids, catalogue=catalogue).kept == 7


def _run(step: Callable[[], Step]) -> list[Step]:
    """Steps of one "all matching" run until one says it reached the end."""
    steps: list[Step] = []
    while not (steps and steps[-1].finished):
        steps.append(step())
        assert len(steps) < 50, "the run does not end"
    return steps


def test_all_matching_goes_on_past_batches_where_nothing_could_change(
    r: redis.Redis, catalogue: Catalogue
) -> None:
    ids = _add(r, catalogue, 20)
    for image_id in ids[:7]:  # expires_at but no TTL: still in the selection, not deletable
        r.persist(catalogue.key(image_id))
    for name in ("foo", "1681843615123", "junk-2"):  # not image ids: stepped past
        r.hset(catalogue.prefix + name, mapping={"timestamp": BASE + 1, "expires_at": 4e9})
    steps = _run(lambda: delete_step(
        r, selection(Filters()), include_kept=False, batch=3, catalogue=catalogue
    ))
    assert sum(s.tally.done for s in steps) == 13
    assert sum(s.tally.kept for s in steps) == 7
    assert _left(r, catalogue) == set(ids[:7]) | {"foo", "1681843615123", "junk-2"}
    steps = _run(lambda: keep_step(r, selection(Filters()), batch=3, catalogue=catalogue))
    assert sum(s.tally.done for s in steps) == 0
    assert store.load(r, ids[0], catalogue).expires_at is None
    steps = _run(lambda: delete_step(
        r, selection(Filters()), include_kept=True, batch=2, catalogue=catalogue
    ))
    assert sum(s.tally.done for s in steps) == 7
    assert _left(r, catalogue) == {"foo", "1681843615123", "junk-2"}

