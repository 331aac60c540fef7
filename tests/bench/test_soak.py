"""The soak at small scale: captures as fast as capture takes them into a budget that holds
a fraction of them, some kept along the way (`bench/soak.py` says what it checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from picat.embedded import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_soak_keeps_under_the_budget_and_loses_nothing() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--captures", "400", "--holds", "150",
         "--resolution", "640x480", "--keep-every", "1.5", "--port", str(free_port())],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )
    result = json.loads(done.stdout)
    assert done.returncode == 0, (result["checks"], result["refusals"], done.stderr[-2000:])
    assert all(result["checks"].values())
    assert result["max_used_memory"] <= result["budget_bytes"]
    assert result["pruned"] + result["pictures_left"] == 400
    assert result["kept"] >= 1 and result["pruning_runs"] >= 2
