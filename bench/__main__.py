"""`python -m bench`: every scenario for each catalogue size, then the table and the plot.

Results are kept per size in `--out` (`n-<N>.json`, plus `shared.json` for the
import and page-weight scenarios); a size already measured is skipped unless
`--fresh`, so a long run resumes where it stopped. The Markdown table and the PNG
are rebuilt from every result in `--out` at the end.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .machine import source
from .plot import plot
from .report import markdown
from .run import run_shared, run_size

DEFAULT_OUT = Path(__file__).parent / "results"
UNITS = {"k": 1000, "m": 1_000_000}


def parse_size(text: str) -> int:
    """`1k`, `10k`, `1M` or a plain number."""
    text = text.strip().lower().replace("_", "").replace(",", "")
    scale = UNITS.get(text[-1:], 1)
    number = int(text[:-1] if scale > 1 else text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a catalogue size")
    return number * scale


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=1))
    temporary.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1k,10k,100k,1M",
                        help="catalogue sizes, comma-separated (default 1k,10k,100k,1M)")
    parser.add_argument("--runs", type=int, default=100,
                        help="timed calls per scenario (a fifth, at least 10, when slow)")
    parser.add_argument("--http-runs", type=int, default=10, help="page loads over HTTP")
    parser.add_argument("--import-files", type=int, default=200,
                        help="1640x1232 JPEGs for the import benchmark")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    parser.add_argument("--plot", type=Path, help="PNG path (default <out>/benchmarks.png)")
    parser.add_argument("--fresh", action="store_true", help="measure again what --out holds")
    parser.add_argument("--skip-shared", action="store_true",
                        help="skip the import and page-weight scenarios")
    args = parser.parse_args(argv)
    sizes = [parse_size(part) for part in args.sizes.split(",") if part.strip()]
    code = source()

    for n in sizes:
        path = args.out / f"n-{n}.json"
        if path.exists() and not args.fresh:
            print(f"N={n:,}: kept from {path}", flush=True)
            continue
        result = run_size(n, args.runs, args.seed, args.http_runs, code)
        result["source_changed_during_run"] = source() != code
        _write(path, result)
    shared_path = args.out / "shared.json"
    if not args.skip_shared and (args.fresh or not shared_path.exists()):
        _write(shared_path, run_shared(args.import_files, args.seed, args.http_runs))

    results = {
        data["n"]: data
        for data in (json.loads(p.read_text()) for p in sorted(args.out.glob("n-*.json")))
    }
    shared = json.loads(shared_path.read_text()) if shared_path.exists() else None
    table = markdown(results, shared)
    (args.out / "results.md").write_text(table)
    plot(results, args.plot or args.out / "benchmarks.png")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
