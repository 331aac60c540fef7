"""The Markdown report: every scenario per catalogue size, ratios within each run, targets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Results = dict[int, dict[str, Any]]

ROWS = (
    ("gallery:newest", "Gallery, first page newest first (ours)"),
    ("gallery:newest_test_client", "... the same page through Flask's test client"),
    ("naive:newest", "Naive FT.SEARCH `*` SORTBY timestamp DESC LIMIT 0 24 (seed now)"),
    ("scan:newest", "SCAN `image:*` + HMGET of the newest 24 (seed first)"),
    ("floor:newest", "Floor: one FT.SEARCH returning the same 24 ids"),
    ("floor:newest_fields", "Floor with the cards' 15 metadata fields (RETURN)"),
    ("gallery:page_1000", "Gallery, page 1,000 via cursor (ours)"),
    ("naive:page_1000", "Naive FT.SEARCH LIMIT 23976 24 (page 1,000)"),
    ("floor:page_1000", "Floor for page 1,000"),
    ("query:newest", "Query layer alone, first page (`search()`)"),
    ("gallery:lux", "Gallery, lux 1,000-10,000"),
    ("floor:lux", "Floor, lux 1,000-10,000"),
    ("gallery:one_day", "Gallery, one day (date range)"),
    ("floor:one_day", "Floor, one day"),
    ("gallery:time_of_day", "Gallery, 06:00-08:00 every day"),
    ("floor:time_of_day", "Floor, 06:00-08:00"),
    ("gallery:combined", "Gallery, camera + lux + time of day"),
    ("query:combined", "Query layer alone, combined"),
    ("floor:combined", "Floor, combined"),
    ("gallery:count", "Match count, all (`/count`)"),
    ("floor:count", "Floor: FT.SEARCH `*` LIMIT 0 0"),
    ("gallery:count_combined", "Match count, combined filters"),
    ("floor:count_combined", "Floor: FT.SEARCH combined LIMIT 0 0"),
    ("gallery:thumbnail", "Thumbnail request (`/images/<id>/thumbnail`)"),
    ("floor:thumbnail", "Floor: HGET thumbnail"),
    ("gallery:api", "JSON API, first page (`/api/images`)"),
    ("timeline:month", "Timeline, one month: `timeline()` alone"),
    ("gallery:timeline_month", "Timeline, one month: the SVG fragment (`/timeline`)"),
    ("ping", "Redis PING (reference)"),
    ("flask:empty", "Flask route returning a constant (reference)"),
)
GALLERY_VIEWS = ("newest", "page_1000", "lux", "one_day", "time_of_day", "combined")


def size_name(n: int) -> str:
    for unit, scale in (("M", 1_000_000), ("k", 1000)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return str(n)


def p50(result: dict[str, Any], name: str) -> float | None:
    timing = result["timings"].get(name)
    return timing["p50_ms"] if timing else None


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _cell(result: dict[str, Any], name: str) -> str:
    timing = result["timings"].get(name)
    return f"{_ms(timing['p50_ms'])} / {_ms(timing['p95_ms'])}" if timing else "n/a"


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return top / bottom if top is not None and bottom else None


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}x" if value < 100 else f"{value:,.0f}x"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _per_size(results: Results, label: str, cell: Callable[[dict[str, Any]], str]) -> list[str]:
    return [label, *(cell(results[n]) for n in sorted(results))]


def timings_table(results: Results) -> list[str]:
    sizes = sorted(results)
    rows = [
        _per_size(results, label, lambda res, key=key: _cell(res, key))
        for key, label in ROWS
        if any(key in results[n]["timings"] for n in sizes)
    ]
    return _table(["Scenario (ms, p50 / p95)", *map(size_name, sizes)], rows)


def ratio_table(results: Results) -> list[str]:
    def vs(top: str, bottom: str) -> Callable[[dict[str, Any]], str]:
        return lambda res: _x(_ratio(p50(res, top), p50(res, bottom)))

    rows = [
        _per_size(results, "Naive / ours, first page (times faster)",
                  vs("naive:newest", "gallery:newest")),
        _per_size(results, "SCAN / ours, first page", vs("scan:newest", "gallery:newest")),
        _per_size(results, "Naive / ours, page 1,000", vs("naive:page_1000", "gallery:page_1000")),
    ]
    rows += [
        _per_size(results, f"Gallery / floor, {view}", vs(f"gallery:{view}", f"floor:{view}"))
        for view in GALLERY_VIEWS
    ]
    rows += [
        _per_size(results, f"Query layer / floor, {view}", vs(f"query:{view}", f"floor:{view}"))
        for view in GALLERY_VIEWS if view != "page_1000"
    ]
    rows.append(_per_size(results, "Thumbnail / HGET", vs("gallery:thumbnail", "floor:thumbnail")))
    return _table(["Ratio of p50s, same run", *map(size_name, sorted(results))], rows)


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "**NO**", None: "n/a"}[value]


def _mismatches(result: dict[str, Any]) -> str:
    wrong = [name for name, ok in result["facts"]["floor_returns_our_page"].items() if not ok]
    return "**NO**: " + ", ".join(wrong) if wrong else "yes"


def _source(result: dict[str, Any]) -> str:
    code = result.get("source")
    if not code:
        return "not recorded"
    dirty = code["uncommitted"]
    changed = " (**changed during the run**)" if result.get("source_changed_during_run") else ""
    return code["commit"] + (f" + uncommitted {', '.join(dirty)}" if dirty else "") + changed


def dataset_table(results: Results) -> list[str]:
    def walked(res: dict[str, Any]) -> str:
        return f"{res['facts']['walk_ids']:,} / {res['facts']['walk_distinct_ids']:,}"

    def walk_seconds(res: dict[str, Any]) -> str:
        seconds = res["facts"].get("walk_to_page_1000_s")
        return "n/a" if seconds is None else f"{seconds:.1f}"

    rows = [
        _per_size(results, "Span of the catalogue (days)",
                  lambda r: f"{r['dataset']['span_days']:.1f}"),
        _per_size(results, "Thumbnails", lambda r: r["dataset"]["thumbnails"]),
        _per_size(results, "Mean thumbnail bytes",
                  lambda r: f"{r['dataset']['mean_thumbnail_bytes']:,}"),
        _per_size(results, "Load time, pipelined HSET + indexing (s)",
                  lambda r: f"{r['dataset']['load_seconds']:.1f}"),
        _per_size(results, "Pictures in the one-month timeline",
                  lambda r: f"{r['facts']['timeline_month_pictures']:,}"),
        _per_size(results, "Walk to page 1,000 through the API (s)", walk_seconds),
        _per_size(results, "Floor query returns exactly our page (all views)", _mismatches),
        _per_size(results, "FT.SEARCH commands per gallery page (first page / combined)",
                  lambda r: "{} / {}".format(*(r["facts"].get("commands", {}).get(view, "?")
                                               for view in ("newest", "combined")))),
        _per_size(results, "Cursor walk: pictures returned / distinct", walked),
        _per_size(results, "Cursor walk: page 1,000 equals naive LIMIT 23976 24",
                  lambda r: _yes_no(r["facts"].get("page_1000_equals_naive_offset"))),
        _per_size(results, "Cursor walk to the end: every picture exactly once",
                  lambda r: _yes_no(r["facts"].get("walk_saw_every_picture_once"))),
        _per_size(results, "Naive query returns our first page",
                  lambda r: _yes_no(r["facts"]["naive_returns_our_page"])),
        _per_size(results, "Measured at (UTC)", lambda r: r["measured_at"]),
        _per_size(results, "Code measured (git, at the start of the run)", _source),
    ]
    return _table(["Catalogue", *map(size_name, sorted(results))], rows)


def page_load_table(results: Results) -> list[str]:
    def load(kind: str, field: str, fmt: str = "{:,}") -> Callable[[dict[str, Any]], str]:
        return lambda r: fmt.format(r["page_load"][kind][field])

    rows = [
        _per_size(results, "Cold: bytes (HTML, 24 thumbnails, CSS/JS)",
                  load("cold", "total_bytes")),
        _per_size(results, "Cold: image bytes", load("cold", "image_bytes")),
        _per_size(results, "Cold: p50 ms (sequential fetches)", load("cold", "p50_ms", "{:.1f}")),
        _per_size(results, "Revisit: bytes", load("revisit", "total_bytes")),
        _per_size(results, "Revisit: image body bytes", load("revisit", "image_body_bytes")),
        _per_size(results, "Revisit: 304 responses", load("revisit", "not_modified")),
        _per_size(results, "Revisit: p50 ms", load("revisit", "p50_ms", "{:.1f}")),
    ]
    return _table(["Page load over HTTP (waitress)", *map(size_name, sorted(results))], rows)


def memory_table(results: Results) -> list[str]:
    def mem(field: str) -> Callable[[dict[str, Any]], str]:
        return lambda r: f"{r['memory'][field]:,.0f}" if field in r["memory"] else "n/a"

    rows = [
        _per_size(results, "All overhead: used_memory grown minus blob bytes, per picture",
                  mem("overhead_per_picture_bytes")),
        _per_size(results, "Hash alone: MEMORY USAGE minus blob bytes (sample mean)",
                  mem("hash_overhead_per_picture_bytes")),
        _per_size(results, "Index alone: FT.INFO total_index_memory_sz_mb per picture",
                  mem("index_per_picture_bytes_ft_info")),
        _per_size(results, "What-if: the same metadata in a hash without blobs (listpack)",
                  mem("metadata_only_hash_bytes")),
        _per_size(results, "What-if: a thumbnail alone as a string, bytes beyond its length",
                  mem("thumbnail_alone_extra_bytes")),
    ]
    return _table(["Memory per picture (bytes)", *map(size_name, sorted(results))], rows)


def shared_tables(shared: dict[str, Any]) -> list[str]:
    imp, page = shared["import"], shared["page_weight"]
    shares = ", ".join(
        f"{name} {value:.0%}" for name, value in imp["shares"].items() if "." not in name
    )
    within = ", ".join(
        f"{name.split('.', 1)[1]} {value:.0%}" for name, value in imp["shares"].items()
        if name.startswith("decode.")
    )
    ours = page["ours"]
    card_page = ours["cold"]["html_bytes"] + ours["cold"]["image_bytes"]
    lines = _table(
        ["`picat import`", "value"],
        [
            ["Files", f"{imp['files']} JPEGs of {imp['picture_size']}, "
                      f"mean {imp['mean_file_bytes'] / 1024:,.0f} KB"],
            ["`picat import` command, end to end (start-up included)",
             f"{imp['cli_pictures_per_s']:.1f} pictures/s ({imp['cli_seconds']:.1f} s)"],
            ["... on a folder of {:,} (the same files first)".format(
                imp.get("cli_larger_files", 0)),
             f"{imp['cli_larger_pictures_per_s']:.1f} pictures/s "
             f"({imp['cli_larger_seconds']:.1f} s)" if "cli_larger_seconds" in imp else "n/a"],
            ["Command start-up and exit (`picat import --help`, median)",
             f"{imp['cli_startup_seconds']:.2f} s" if "cli_startup_seconds" in imp else "n/a"],
            ["`import_files` in process", f"{imp['in_process_pictures_per_s']:.1f} pictures/s"
             f" ({imp.get('in_process_workers', 1)} decoding processes)"],
            ["`import_files` in process, decoding on one core",
             f"{imp['one_core_pictures_per_s']:.1f} pictures/s"
             if "one_core_pictures_per_s" in imp else "n/a"],
            ["Where the time goes (cProfile shares)", shares],
            ["Within decode (shares of the whole import)", within or "n/a"],
            ["Decoding one file: full / JPEG draft at 320 px (ms)",
             f"{imp.get('decode_full_ms', 0):.1f} / {imp.get('decode_draft_ms', 0):.1f}"],
        ],
    )
    lines += [""]
    lines += _table(
        ["Page weight, same 1640x1232 pictures", "bytes"],
        [
            ["Seed: 9 full pictures (its HTML not counted)",
             f"{page['seed_9_full_pictures_bytes']:,}"],
            ["Ours, cold: HTML + 24 thumbnails", f"{card_page:,}"],
            ["Ours, cold: CSS, JS and icon on top", f"{ours['cold']['asset_bytes']:,}"],
            ["Ours, revisit: everything", f"{ours['revisit']['total_bytes']:,}"],
            ["Ours, revisit: image body bytes", f"{ours['revisit']['image_body_bytes']:,}"],
        ],
    )
    return lines


def markdown(results: Results, shared: dict[str, Any] | None) -> str:
    parts: list[str] = ["### Server time", "", *timings_table(results), "",
                        "### Ratios within each run", "", *ratio_table(results), "",
                        "### Catalogues", "", *dataset_table(results), "",
                        "### Page loads", "", *page_load_table(results), "",
                        "### Memory", "", *memory_table(results), ""]
    if shared:
        parts += ["### Import and page weight", "", *shared_tables(shared), ""]
    parts += ["### Targets", "", *targets(results, shared), ""]
    return "\n".join(parts)


def _verdict(ok: bool | None, text: str) -> list[str]:
    return [text, "not measured" if ok is None else "met" if ok else "**missed**"]


def targets(results: Results, shared: dict[str, Any] | None) -> list[str]:
    rows: list[list[str]] = []
    big, small, mid = results.get(1_000_000), results.get(10_000), results.get(100_000)
    if big and small:
        growth = _ratio(p50(big, "gallery:newest"), p50(small, "gallery:newest"))
        rows.append(["First page at 1M <= 2x its time at 10k",
                     *_verdict(growth is not None and growth <= 2, f"{_x(growth)}")])
    if big:
        speedup = _ratio(p50(big, "naive:newest"), p50(big, "gallery:newest"))
        rows.append(["First page at 1M >= 20x faster than naive FT.SEARCH",
                     *_verdict(speedup is not None and speedup >= 20, _x(speedup))])
        month = p50(big, "gallery:timeline_month") or p50(big, "timeline:month")
        rows.append(["One-month timeline at 1M renders in < 100 ms server time",
                     *_verdict(month is not None and month < 100, f"{_ms(month or 0)} ms")])
    if mid:
        scan = _ratio(p50(mid, "scan:newest"), p50(mid, "gallery:newest"))
        rows.append(["First page at 100k >= 100x faster than SCAN",
                     *_verdict(scan is not None and scan >= 100, _x(scan))])
    worst = max(
        ((_ratio(p50(res, f"gallery:{view}"), p50(res, f"floor:{view}")), n, view)
         for n, res in results.items() for view in GALLERY_VIEWS
         if p50(res, f"floor:{view}") is not None),
        default=None, key=lambda item: item[0] or 0,
    )
    if worst:
        ratio, n, view = worst
        rows.append(["Gallery page <= 3x the floor, every filter, every N",
                     *_verdict(ratio <= 3, f"worst {_x(ratio)} ({view} at {size_name(n)})")])
    if shared:
        page = shared["page_weight"]
        ours = page["ours"]["cold"]["html_bytes"] + page["ours"]["cold"]["image_bytes"]
        tenth = page["seed_9_full_pictures_bytes"] / 10
        rows.append(["24-card page <= 1/10 of the seed's 9-card page",
                     *_verdict(ours <= tenth, f"{ours / tenth / 10:.3f} of the seed's bytes")])
        revisit = page["ours"]["revisit"]["image_body_bytes"]
        rows.append(["A revisit transfers no image bytes",
                     *_verdict(revisit == 0, f"{revisit:,} image bytes")])
        imp = shared["import"]
        rate = imp["in_process_pictures_per_s"]
        larger = imp.get("cli_larger_pictures_per_s", 0.0)
        rows.append([
            "`picat import` >= 100 pictures/s (1640x1232 JPEGs): the command's throughput "
            "on a folder", *_verdict(
                larger >= 100,
                f"{larger:.1f}/s on {imp.get('cli_larger_files', 0):,} files "
                f"({imp['cli_pictures_per_s']:.1f}/s on {imp['files']:,}, fixed costs included; "
                f"{rate:.1f}/s in process on {imp['files']:,})",
            ),
        ])
    worst_memory = max(
        ((res["memory"]["overhead_per_picture_bytes"], n) for n, res in results.items()),
        default=None,
    )
    if worst_memory:
        value, n = worst_memory
        rows.append(["Memory overhead per picture < 1 KB incl. index",
                     *_verdict(value < 1024, f"worst {value:,.0f} B ({size_name(n)})")])
    return _table(["Target", "Measured", "Verdict"], rows)
