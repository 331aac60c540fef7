"""Reproducible benchmarks and the load test, run from the repository root (never installed).

Every number is measured in one run against baselines on the same server, so the
claims are ratios that survive a noisy shared machine. See docs/benchmarks.md.

Entry points (`python -m ...`; each has `--help`):

- `bench`: the main benchmark, every scenario per catalogue size, a table and a plot
  (`__main__`, `run`, `scenarios`, `baselines`, `filter_sets`, `memory`, `weight`,
  `importing`, `report`, `plot`);
- `bench.paging`: paging's hard cases at catalogue scale (a kept server with `--url`);
- `bench.originals`: originals in Redis, a folder or S3;
- `bench.capture`, `bench.importing`, `bench.sizing`, `bench.listpack`, `bench.soak`,
  `bench.loading`, `bench.timelapse`: one subject each (their docstrings say what);
- `bench.loadtest.run`, `bench.loadtest.memory`: the gallery under load (docs/hardening.md).

Shared by them: `dataset` (the one generator of synthetic catalogues, also used by the
tests), `photos` (full-size photo-like JPEGs), `servers` (private Redis, the gallery over
HTTP), `timing` (interleaved p50/p95), `machine` (what a run measured on).
"""
