"""Where retention by size runs: a thread of every gallery process, and of `picat retention`.

It runs beside the gallery (`picat web`, `picat up`), not in capture, because it needs
the index (`FT.SEARCH`) to find the oldest pictures, and the capture role is denied
every `FT.*` on purpose (a stolen Pi must not read the catalogue). A fleet has one
gallery or a few, and every gallery process runs the thread: a lease in Redis lets
exactly one of them prune at a time, so running two galleries, or a gallery and
`picat retention`, is safe. Without any gallery, `picat retention` runs it alone.
"""

from __future__ import annotations

import threading

from picat.settings import Settings


def start(settings: Settings, stop: threading.Event) -> threading.Thread:
    """Run retention by size in a daemon thread until `stop` is set."""
    from picat.schema import connect
    from picat.schema.pruning import Retention

    retention = Retention(connect(settings.effective_redis_url), settings.memory_budget)
    thread = threading.Thread(target=retention.run, args=(stop,), name="retention", daemon=True)
    thread.start()
    return thread
