"""The benchmark entry point runs end to end at a tiny size, so its scripts cannot rot.

It asserts that every scenario ran and the table and plot were written, never a timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="the benchmarks need the [bench] extra (matplotlib)")

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_benchmark_entry_point_writes_table_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--sizes", "200", "--runs", "2", "--http-runs", "1",
         "--import-files", "2", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = (out / "results.md").read_text()
    for heading in ("### Server time", "### Ratios within each run", "### Page loads",
                    "### Memory", "### Import and page weight", "### Targets"):
        assert heading in table
    assert "| Gallery, first page newest first (ours) |" in table
    assert (out / "benchmarks.png").read_bytes().startswith(b"\x89PNG")
    result = json.loads((out / "n-200.json").read_text())
    for scenario in ("gallery:newest", "naive:newest", "scan:newest", "floor:newest",
                     "gallery:thumbnail", "gallery:api", "timeline:month"):
        assert result["timings"][scenario]["runs"] >= 1
    assert result["page_load"]["revisit"]["image_body_bytes"] == 0


@pytest.mark.slow
def test_image_store_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "originals.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.originals", "--pictures", "3", "--n", "200", "--runs", "2",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert set(result["capture"]["stores"]) == set(result["serve_ms"]) == {"redis", "file", "s3"}
    assert set(result["import_per_s"]) == {"redis", "file", "s3"}
    assert {"newest/redis", "newest/s3"} <= set(result["paging"]["timings"])


def test_timelapse_benchmark_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.timelapse", "--frames", "2,3"],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    runs = json.loads(done.stdout)["runs"]
    assert [run["frames"] for run in runs] == [2, 3]
    assert all(run["peak_rss_mb"] > 0 and run["video_mb"] > 0 for run in runs)
