"""p50/p95 of many small actions, interleaved so machine noise hits every action alike."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

SLOW_MS = 50.0
"""Actions slower than this (after warm-up) get a fifth of the repetitions, at least 10."""


@dataclass(frozen=True)
class Timing:
    p50: float
    p95: float
    runs: int

    def as_dict(self) -> dict[str, float]:
        return {"p50_ms": self.p50, "p95_ms": self.p95, "runs": self.runs}


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def elapsed_ms(action: Callable[[], object]) -> float:
    began = time.perf_counter()
    action()
    return (time.perf_counter() - began) * 1000


def measure(actions: dict[str, Callable[[], object]], runs: int) -> dict[str, Timing]:
    """Time every action `runs` times, round-robin: one call of each per round.

    Round-robin rather than one action after another, so a burst of load from a
    neighbour on the machine lands on ours and the baseline alike, and their
    ratio stays meaningful. Each action is called once untimed first (warm-up).
    """
    planned = {}
    for name, action in actions.items():
        warm = elapsed_ms(action)
        planned[name] = min(runs, max(10, runs // 5)) if warm > SLOW_MS else runs
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for round_number in range(max(planned.values(), default=0)):
        for name, action in actions.items():
            if round_number < planned[name]:
                samples[name].append(elapsed_ms(action))
    return {
        name: Timing(statistics.median(times), percentile(times, 0.95), len(times))
        for name, times in samples.items()
    }
