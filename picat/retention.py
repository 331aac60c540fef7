"""Where retention by size runs: a thread of every gallery process, and `picat retention`.

It runs beside the gallery (`picat web`, `picat up`), not in capture, because it needs
the index (`FT.SEARCH`) to find the oldest pictures, and the capture role is denied
every `FT.*` on purpose (a stolen Pi must not read the catalogue). A fleet has one
gallery or a few, and every gallery process runs the thread: a lease in Redis lets
exactly one of them prune at a time, so running two galleries, or a gallery and
`picat retention`, is safe. Without any gallery, `picat retention` runs it alone.
"""

from __future__ import annotations

import argparse
import logging
import threading

from picat.settings import Settings
from picat.signals import sigterm_as_interrupt

log = logging.getLogger("picat.retention")


def start(settings: Settings, stop: threading.Event) -> threading.Thread:
    """Run retention by size in a daemon thread until `stop` is set."""
    from picat.schema import connect
    from picat.schema.pruning import Retention

    retention = Retention(connect(settings.effective_redis_url), settings.memory_budget)
    thread = threading.Thread(target=retention.run, args=(stop,), name="retention", daemon=True)
    thread.start()
    return thread


def _cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    sigterm_as_interrupt()
    stop = threading.Event()
    thread = start(settings, stop)
    log.info("retention by size runs; Ctrl-C stops it")
    try:
        while thread.is_alive():
            thread.join(1.0)
    except KeyboardInterrupt:
        stop.set()
        thread.join(10)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser(
        "retention",
        help="run retention by size alone (every gallery process also runs it)",
        description="Keep Redis under the memory budget (PICAT_MEMORY_BUDGET or the server's "
        "maxmemory): delete the oldest pictures that are not kept, in capture order. Every "
        "`picat web` and `picat up` runs it too; a lease in Redis lets one process at a time "
        "prune.",
    ).set_defaults(func=_cmd_retention)
