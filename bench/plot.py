"""The PNG: server time against catalogue size, log-log, ours against each baseline."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from .report import Results, size_name

SERIES = (
    ("gallery:newest", "ours: gallery first page", "-o", "tab:blue"),
    ("gallery:page_1000", "ours: page 1,000 (cursor)", "--o", "tab:blue"),
    ("query:newest", "ours: query layer alone, first page", ":o", "tab:cyan"),
    ("naive:newest", "seed now: naive FT.SEARCH first page", "-s", "tab:red"),
    ("naive:page_1000", "seed now: naive LIMIT 23976 24", "--s", "tab:red"),
    ("scan:newest", "seed first: SCAN + HMGET", "-^", "tab:orange"),
    ("floor:newest", "floor: one FT.SEARCH for the same 24 ids", ":d", "tab:green"),
    ("gallery:timeline_month", "ours: one-month timeline fragment", "-.v", "tab:purple"),
)


def plot(results: Results, path: Path) -> None:
    figure = Figure(figsize=(8, 5.5), dpi=110)
    axes = figure.subplots()
    for key, label, style, colour in SERIES:
        points = [(n, res["timings"][key]["p50_ms"]) for n, res in sorted(results.items())
                  if key in res["timings"]]
        if points:
            axes.plot(*zip(*points, strict=True), style, color=colour, label=label)
    sizes = sorted(results)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xticks(sizes, [size_name(n) for n in sizes])
    axes.minorticks_off()
    axes.set_xlabel("pictures in the catalogue")
    axes.set_ylabel("server time, p50 (ms)")
    axes.set_title("Gallery server time against catalogue size (2 cores, same run per size)")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
