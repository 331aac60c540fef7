"""Spread CPU-bound work over the machine's cores, keeping input order and bounded memory.

`ordered_map` hands items to worker processes a few at a time and yields results
in input order, so a caller can show progress and write results in order while
the workers decode ahead. Small jobs run inline: starting workers costs more
than it saves below `MIN_PARALLEL_ITEMS` items, and on a single core.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_PARALLEL_ITEMS = 8
"""Below this, forking workers (a few ms each) costs more than a core saves."""
AHEAD_PER_WORKER = 4
"""Items in flight per worker: enough to keep it busy, few enough to bound memory."""


def cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def processes(expected: int, workers: int | None = None) -> int:
    """How many worker processes `ordered_map` uses for `expected` items; 0: it runs inline.

    `workers` caps them (default: one per core).
    """
    workers = min(workers or cores(), cores())
    return workers if workers >= 2 and expected >= MIN_PARALLEL_ITEMS else 0


def ordered_map(
    function: Callable[[Item], Result],
    items: Iterable[Item],
    expected: int,
    workers: int | None = None,
) -> Iterator[Result]:
    """`map(function, items)` over worker processes when `expected` items make it worth it.

    `workers` caps the processes (see `processes`). `function` and the items must
    pickle. Workers are forked, so they start in a few milliseconds with everything
    already imported.
    """
    workers = processes(expected, workers)
    if not workers:
        yield from map(function, items)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending: deque[Future[Result]] = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= workers * AHEAD_PER_WORKER:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
