"""Paging's hard cases at catalogue scale: `python -m bench.paging [--n 1000000]`.

Three catalogues of N pictures each, in one Redis with RediSearch (its own, on a
free port and in a temporary directory, unless `--url` names one to reuse, e.g.
`picat redis --dir ...` kept between runs):

- `now`: `bench.dataset.HARD_FLEET`, four cameras, one picture a minute each with
  jitter, lux following day and night (integers, 0 at night as the seed writes them:
  half the pictures share lux 0), bursts of up to 100 pictures sharing one timestamp,
  and one camera that stopped 30 days before the end; written through `picat.schema.store`
  like capture (so with the summary), ending at the moment of measuring (a kept
  catalogue is topped up to the present first);
- `week`: the same fleet, ending a week ago;
- `old`: seed-format hashes (`image:<unix seconds>`, `timestamp`, `lux`,
  `mime_type`, `image_data` only, written with plain HSET as the seed project does,
  so with no summary), ending three years ago; `index.apply` then counts their
  summary once, as `picat schema apply` does.

For each catalogue and view (newest, oldest, brightest, darkest, a lux range
newest first, one camera, a one-day window, page 1,000 newest first) it times, in
one interleaved loop (`bench.timing.measure`): the query layer
(`picat.schema.query.search`) warm and in a fresh client (a new connection: the
engine keeps no state in the process, so that is all a fresh process lacks); the
gallery page as a WSGI server calls it (server time, templates included); and the
naive `FT.SEARCH <filter> SORTBY <field> LIMIT <offset> 24` in the same run. It
checks that our first page is the naive query's page, and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlencode

import redis
from werkzeug.test import EnvironBuilder

from picat.embedded import EmbeddedRedis, free_port
from picat.schema import Catalogue, connect, index
from picat.schema.query import Constraints, Sort, parse_filters, search
from picat.webapp import create_app

from . import dataset
from .dataset import DAY, HARD_FLEET, seed_lux
from .machine import source
from .timing import measure

PAGE = 24
PAGE_1000 = 1000
WALKED = 60
"""Pages walked from the first in each view, to count the commands every page sends."""


@dataclass(frozen=True)
class Case:
    name: str
    params: dict[str, str]
    sort: Sort
    page: int = 1


def indexed(r: redis.Redis, catalogue: Catalogue) -> int:
    info = index.index_info(r, catalogue.index) or {}
    return int(info.get("num_docs", 0))


def prepare(r: redis.Redis, name: str, n: int, seed: int) -> Catalogue:
    """The catalogue `name`, loaded unless it already holds N pictures."""
    catalogue = Catalogue(prefix=f"bench:{name}:image:", index=f"bench:{name}:idx:images")
    end_key = f"bench:{name}:end"
    now = time.time()
    if name == "old":
        if indexed(r, catalogue) < n:
            dataset.save_seed_format(r, catalogue, n, now - 3 * 365 * DAY, seed)
        began = time.perf_counter()
        index.apply(r, catalogue)  # builds the index, then counts the summary once
        print(f"  {name}: index and summary ready in {time.perf_counter() - began:.0f} s",
              file=sys.stderr)
        return catalogue
    index.apply(r, catalogue)
    if indexed(r, catalogue) < n:
        end = now - (7 * DAY if name == "week" else 0)
        dataset.save(r, catalogue, dataset.fleet(n, end, seed, HARD_FLEET, seed_lux))
        r.set(end_key, repr(end))
    elif name == "now":
        last = float(r.get(end_key))
        added = dataset.save(
            r, catalogue, dataset.fleet(10 * n, now, seed + 1, HARD_FLEET, seed_lux, after=last))
        r.set(end_key, repr(now))
        print(f"  now: topped up with {added:,} pictures to the present", file=sys.stderr)
    return catalogue


def cases(r: redis.Redis, catalogue: Catalogue) -> list[Case]:
    first = search(r, parse_filters({}, UTC), Sort.OLDEST, 1, None, catalogue=catalogue)
    last = search(r, parse_filters({}, UTC), Sort.NEWEST, 1, None, catalogue=catalogue)
    middle = (first.images[0].timestamp + last.images[0].timestamp) / 2 // DAY * DAY
    return [
        Case("newest", {}, Sort.NEWEST),
        Case("oldest", {}, Sort.OLDEST),
        Case("brightest", {}, Sort.BRIGHTEST),
        Case("darkest", {}, Sort.DARKEST),
        Case("lux 1,000-10,000, newest", {"lux_min": "1000", "lux_max": "10000"}, Sort.NEWEST),
        Case("one camera (garden), newest", {"camera": "garden"}, Sort.NEWEST),
        Case("one day, newest", {"from": f"{middle:.0f}", "to": f"{middle + DAY - 1:.0f}"},
             Sort.NEWEST),
        Case("page 1,000, newest", {}, Sort.NEWEST, PAGE_1000),
    ]


def cursor_at(r: redis.Redis, catalogue: Catalogue, case: Case) -> str | None:
    filters, cursor = parse_filters(case.params, UTC), None
    for _ in range(case.page - 1):
        cursor = search(r, filters, case.sort, PAGE, cursor, catalogue=catalogue).next_cursor
    return cursor


def sort_field(sort: Sort) -> tuple[str, bool]:
    """The field a sort orders by first, and whether descending."""
    if sort in (Sort.BRIGHTEST, Sort.DARKEST):
        return "lux", sort is Sort.BRIGHTEST
    return "timestamp", sort is Sort.NEWEST


def naive_argv(catalogue: Catalogue, case: Case) -> list[str]:
    """What the seed does, for any view: the filter sorted by its field, an offset, 24."""
    text = Constraints.from_filters(parse_filters(case.params, UTC)).text()
    field, down = sort_field(case.sort)
    return ["FT.SEARCH", catalogue.index, text, "RETURN", "3", "timestamp", "lux", "mime_type",
            "SORTBY", field, "DESC" if down else "ASC", "LIMIT", str(PAGE * (case.page - 1)),
            str(PAGE), "TIMEOUT", "60000", "DIALECT", "2"]


def wsgi(app: object, url: str) -> Callable[[], bytes]:
    environ = EnvironBuilder(url).get_environ()

    def call() -> bytes:
        body = app(dict(environ), lambda *args: None)
        try:
            return b"".join(body)
        finally:
            body.close()

    return call


def walk_pages(r: redis.Redis, catalogue: Catalogue, case: Case) -> dict[str, object]:
    """Commands sent by each of the view's first WALKED pages, and whether they showed
    its pictures in order, none twice (bursts share a timestamp and a lux value)."""
    filters, cursor = parse_filters(case.params, UTC), None
    field, down = sort_field(case.sort)
    sent: list[int] = []
    ids: list[str] = []
    values: list[float] = []
    while len(sent) < WALKED:
        page = search(r, filters, case.sort, PAGE, cursor, catalogue=catalogue)
        sent.append(page.sent)
        ids += [image.pk for image in page.images]
        values += [float(getattr(image, field)) for image in page.images]
        if (cursor := page.next_cursor) is None:
            break
    ordered = all((a >= b) if down else (a <= b) for a, b in pairwise(values))
    return {"case": case.name, "pages": len(sent), "sent": Counter(sent),
            "exact": ordered and len(set(ids)) == len(ids)}


def run_catalogue(url: str, r: redis.Redis, name: str, catalogue: Catalogue, runs: int
                  ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    app = create_app(url, catalogue=catalogue, secret_key=b"bench")
    actions: dict[str, Callable[[], object]] = {}
    rows, walks = [], []
    for case in cases(r, catalogue):
        filters, cursor = parse_filters(case.params, UTC), cursor_at(r, catalogue, case)
        page = search(r, filters, case.sort, PAGE, cursor, catalogue=catalogue)
        argv = naive_argv(catalogue, case)
        naive = r.execute_command(*argv)
        # Ties (a burst, lux 0) may be cut differently: compare the sort values shown.
        field = sort_field(case.sort)[0]
        theirs = [dict(zip(f[::2], f[1::2], strict=True)) for f in naive[2::2]]
        ours = [float(getattr(image, field)) for image in page.images]
        same = len(ours) == len(theirs) and all(  # RETURN prints 12 significant digits
            math.isclose(a, float(f[field.encode()]), rel_tol=1e-11, abs_tol=1e-9)
            for a, f in zip(ours, theirs, strict=False))
        query = urlencode({**case.params, "sort": case.sort.value,
                           **({"cursor": cursor} if cursor else {})})

        def fresh(filters=filters, case=case, cursor=cursor) -> object:
            client = connect(url)
            try:
                return search(client, filters, case.sort, PAGE, cursor, catalogue=catalogue)
            finally:
                client.close()

        actions[f"warm:{case.name}"] = lambda f=filters, c=case, k=cursor: search(
            r, f, c.sort, PAGE, k, catalogue=catalogue)
        actions[f"fresh:{case.name}"] = fresh
        actions[f"gallery:{case.name}"] = wsgi(app, "/?" + query)
        actions[f"naive:{case.name}"] = lambda argv=argv: r.execute_command(*argv)
        rows.append({"case": case.name, "shown": len(page.images), "same_as_naive": same,
                     "sent": page.sent,
                     "redis": [argv[0] for argv in page.commands]})
        if case.page == 1 and "from" not in case.params:
            walks.append(walk_pages(r, catalogue, case))
    everything = naive_argv(catalogue, Case("*", {}, Sort.NEWEST))
    actions["naive:*"] = lambda: r.execute_command(*everything)
    timings = measure(actions, runs)
    for row in rows:
        for kind in ("warm", "fresh", "gallery", "naive"):
            row[kind] = timings[f"{kind}:{row['case']}"].p50
        row["naive_all"] = timings["naive:*"].p50
    return rows, walks


@contextmanager
def server(url: str | None, data_dir: Path | None) -> Iterator[str]:
    if url:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="picat-bench-paging-") as scratch:
        where = data_dir or Path(scratch)
        embedded = EmbeddedRedis(free_port(), where, str(where / "redis.log"))
        embedded.start()  # waits as long as a kept --dir takes to load
        try:
            yield embedded.url
        finally:
            embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="pictures per catalogue")
    parser.add_argument("--runs", type=int, default=30, help="timed calls per row")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", help="a Redis with RediSearch to use and keep (else our own)")
    parser.add_argument("--dir", type=Path, help="data directory of our own server, kept")
    parser.add_argument("--only", help="catalogues to measure, e.g. now,old")
    args = parser.parse_args()
    names = (args.only or "now,week,old").split(",")
    code = source()
    with server(args.url, args.dir) as url:
        r = connect(url, socket_timeout=900)
        catalogues = {name: prepare(r, name, args.n, args.seed) for name in names}
        results = {name: run_catalogue(url, r, name, cat, args.runs)
                   for name, cat in catalogues.items()}
        memory = r.info("memory")["used_memory_human"]
    print(f"\n{args.n:,} pictures per catalogue; commit {code['commit']}"
          f"{' + uncommitted ' + ', '.join(code['uncommitted']) if code['uncommitted'] else ''}; "
          f"Redis used_memory {memory}; p50 ms of {args.runs} interleaved calls "
          f"(naive: a fifth as many); load average {Path('/proc/loadavg').read_text()[:14]}\n")
    for name, (rows, walks) in results.items():
        print(f"\n**{name}**\n")
        print(f"naive `*` SORTBY timestamp DESC LIMIT 0 24: {rows[0]['naive_all']:.1f} ms\n")
        print("| view | query, warm | query, fresh client | gallery page | naive, same view "
              "| naive / gallery | naive `*` / gallery | sent (run) | same values as naive |")
        print("|---|---:|---:|---:|---:|---:|---:|---|---|")
        for row in rows:
            same = "yes" if row["same_as_naive"] else "NO"
            print(f"| {row['case']} | {row['warm']:.2f} | {row['fresh']:.2f} | "
                  f"{row['gallery']:.2f} | {row['naive']:.1f} | "
                  f"{row['naive'] / row['gallery']:.1f}x | "
                  f"{row['naive_all'] / row['gallery']:.0f}x | "
                  f"{row['sent']} ({', '.join(row['redis'])}) | {same} |")
        print(f"\nThe first {WALKED} pages of each view, walked:\n")
        print("| view | pages | commands sent: pages | in order, none twice |")
        print("|---|---:|---|---|")
        for walked in walks:
            spread = ", ".join(f"{n}: {count}" for n, count in sorted(walked["sent"].items()))
            print(f"| {walked['case']} | {walked['pages']} | {spread} | "
                  f"{'yes' if walked['exact'] else 'NO'} |")


if __name__ == "__main__":
    main()
