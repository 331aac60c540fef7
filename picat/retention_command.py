"""`picat retention`: retention by size alone, in the foreground, for a fleet without a gallery."""

from __future__ import annotations

import argparse
import logging
import threading

from picat.retention import start
from picat.settings import Settings
from picat.signals import sigterm_as_interrupt

log = logging.getLogger("picat.retention")


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
