"""`picat status`: the storage view on the command line."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from picat.settings import Settings


def _cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from picat.schema import DEFAULT_CATALOGUE, connect, storage

    report = storage.report(
        connect(settings.effective_redis_url), settings.memory_budget, DEFAULT_CATALOGUE
    )
    if args.json:
        print(json.dumps(report.as_json(), indent=1))
        return 0
    budget = f" of {storage.size(report.budget)}" if report.budget else " (no budget)"
    share = f" ({100 * report.used / report.budget:.0f} %)" if report.budget else ""
    oldest = (
        datetime.fromtimestamp(report.oldest).astimezone().strftime("%Y-%m-%d %H:%M")
        if report.oldest else "none"
    )
    print(f"memory      {storage.size(report.used)} used{budget}{share}")
    print(f"pictures    {report.pictures:,} held, {report.kept:,} kept, oldest taken {oldest}")
    for camera in report.cameras:
        print(f"camera      {camera.camera}: {camera.last_hour:,} in the last hour, "
              f"{camera.last_day:,} in the last day")
    print(f"projection  {report.projection()}")
    if report.budget_decides:
        print("            the memory budget, not IMAGE_TTL, decides what is kept")
    if report.warning:
        print(f"warning     {report.warning}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    status = sub.add_parser(
        "status", help="memory used and budget, pictures held and kept, rates, projection"
    )
    status.add_argument("--json", action="store_true", help="print /api/storage's JSON")
    status.set_defaults(func=_cmd_status)
