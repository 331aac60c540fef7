"""The load test runs end to end at a tiny size, so the script cannot rot (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_load_test_runs_without_errors(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadtest.run", "--pictures", "300", "--clients", "4",
         "--seconds", "2", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert figures["pictures"] == 300
    for kind in ("gallery", "next_page", "api", "thumbnail"):
        assert figures["kinds"][kind]["requests"] > 0, kind
    assert figures["kinds"]["total"]["errors"] == 0
