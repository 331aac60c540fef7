"""`picat import`: bring a folder of existing pictures into the catalogue.

A module of its own so that running it loads the importer and nothing of live
capture (cameras, numpy, GPIO): start-up is part of every import's time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import redis

from picat.redis_client import configured_redis
from picat.schema import index
from picat.schema.originals import StoreUnavailable
from picat.settings import Settings, picture_limits

from .durable import NotDurable, connect_single
from .importer import import_files
from .settings import load_capture_settings


def _cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    paths = [Path(path) for path in args.paths]
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        print(f"picat import: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    capture_settings = load_capture_settings(settings)
    with configured_redis("import", settings, connect_single) as r:
        catalogue = settings.catalogue()
        try:
            try:
                index.apply(r, catalogue)
            except redis.exceptions.NoPermissionError:
                print(
                    "picat import: the idx:images index is missing or out of date, and these "
                    "credentials may not build it: run `picat schema apply` with the admin "
                    "credentials first",
                    file=sys.stderr,
                )
                return 2
            report = import_files(
                r, paths, capture_settings.camera_id, capture_settings.image_ttl,
                capture_settings.thumbnail_size, catalogue,
                limits=picture_limits(),
            )
        except redis.ConnectionError:
            raise  # configured_redis says that Redis cannot be reached
        except (redis.RedisError, NotDurable) as exc:
            print(f"picat import: Redis refused the import ({exc}); run it again",
                  file=sys.stderr)
            return 1
        except StoreUnavailable as exc:
            print(f"picat import: the image store failed ({exc}); run it again", file=sys.stderr)
            return 1
    print(report.summary())
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `picat import` to `picat`."""
    importer = sub.add_parser(
        "import",
        help="import JPEG and PNG files into the catalogue",
        description="Import JPEG and PNG files (folders are searched recursively). Files "
        "already in the catalogue are skipped by content; unreadable files are reported.",
    )
    importer.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    importer.set_defaults(func=_cmd_import)
