"""`picat store`: move originals between stores, and sweep orphan blobs.

`picat store migrate --to s3://bucket/prefix` (or `file:DIR`, or `redis`) moves every
picture's original there, checking each blob's checksum before the old copy goes;
capture and the gallery keep running meanwhile, and an interrupted run is resumed
by running it again. Set `IMAGE_STORE` to the target afterwards (and run it once
more: pictures captured under the old setting during the run are moved then).
`picat store sweep` removes blobs whose picture has gone (expired through its TTL,
or a capture that crashed between blob and hash); `picat up` runs it every hour
(`schema.sweep.sweep_periodically`).
"""

from __future__ import annotations

import argparse
import sys

from picat.settings import Settings


def _cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from picat.schema import connect
    from picat.schema.migrate import ChecksumMismatch, migrate
    from picat.schema.originals import StoreSpecError, StoreUnavailable, open_store

    try:
        target = open_store(args.to)
    except StoreSpecError as exc:
        print(f"picat store migrate: {exc}", file=sys.stderr)
        return 2
    r = connect(settings.effective_redis_url)
    try:
        report = migrate(r, target, settings.catalogue(), batch=args.batch)
    except (StoreUnavailable, ChecksumMismatch) as exc:
        print(f"picat store migrate: {exc}; what was moved stays moved: run it again to go on",
              file=sys.stderr)
        return 1
    print(report.summary())
    if args.to.strip() != settings.image_store:
        print(f"Now set IMAGE_STORE={args.to} so new pictures go there too.")
    return 1 if report.corrupt else 0


def _cmd_sweep(args: argparse.Namespace, settings: Settings) -> int:
    from picat.schema import connect
    from picat.schema.originals import StoreUnavailable
    from picat.schema.sweep import sweep

    catalogue = settings.catalogue()
    if catalogue.originals is None:
        print("picat store sweep: IMAGE_STORE is redis: originals live in their hashes and "
              "leave with them, there is nothing to sweep")
        return 0
    try:
        report = sweep(connect(settings.effective_redis_url), catalogue.originals, catalogue,
                       grace=args.grace, batch=args.batch)
    except StoreUnavailable as exc:
        print(f"picat store sweep: {exc}; run it again to resume", file=sys.stderr)
        return 1
    print(f"checked {report.checked} blobs, removed {report.removed} without a picture")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `picat store` to `picat`."""
    from picat.schema.migrate import DEFAULT_BATCH
    from picat.schema.sweep import DEFAULT_BATCH as SWEEP_BATCH
    from picat.schema.sweep import DEFAULT_GRACE

    store = sub.add_parser("store", help="move originals between stores, sweep orphan blobs")
    actions = store.add_subparsers(dest="store_command", required=True, metavar="ACTION")
    move = actions.add_parser(
        "migrate", help="move every original to another store (resumable, checksum-verified)"
    )
    move.add_argument("--to", required=True, metavar="STORE",
                      help="redis, file:/path/to/folder or s3://bucket/prefix")
    move.add_argument("--batch", type=int, default=DEFAULT_BATCH,
                      help=f"keys per SCAN step (default {DEFAULT_BATCH})")
    move.set_defaults(func=_cmd_migrate)
    clean = actions.add_parser("sweep", help="remove blobs whose picture has gone")
    clean.add_argument("--grace", type=float, default=DEFAULT_GRACE,
                       help=f"leave blobs younger than this many seconds (default {DEFAULT_GRACE})")
    clean.add_argument("--batch", type=int, default=SWEEP_BATCH,
                       help=f"blobs per batch (default {SWEEP_BATCH})")
    clean.set_defaults(func=_cmd_sweep)
