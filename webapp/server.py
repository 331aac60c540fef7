"""Serving the gallery with waitress, a production WSGI server that needs no C build.

Configured so that slow and idle clients cannot take the gallery away from others
(`docs/hardening.md`, "What one client can cost"):
- `CONNECTION_LIMIT` open connections (waitress's default, 100, was exhausted by
  about 110 idle half-open sockets), polled with `poll()` rather than `select()`,
  whose 1,024-descriptor ceiling would end the server first; an idle connection is
  closed after `CHANNEL_TIMEOUT` seconds (not 120), checked every `CLEANUP_INTERVAL`;
- `THREADS` workers, and a response is buffered (in memory up to 1 MB, then in a
  temporary file) up to `OUTBUF_HIGH_WATERMARK` before a worker waits for the client
  to read: a slow client pins a worker only for a body larger than that, and the zip
  downloads that can be larger are limited to a few at once (`webapp/bulk.py`);
- request bodies up to `MAX_REQUEST_BODY` (every form the gallery takes is tiny).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

# A gallery page loads its thumbnails in parallel (browsers open about six
# connections per host) while the "new pictures" banner polls; a few long zip
# downloads may hold workers too.
THREADS = 16
CONNECTION_LIMIT = 500
CHANNEL_TIMEOUT = 30
CLEANUP_INTERVAL = 5
OUTBUF_HIGH_WATERMARK = 64 * 2**20
MAX_REQUEST_BODY = 2**20
MAX_REQUEST_HEADER = 64 * 1024


def make_server(app: Flask, host: str, port: int) -> BaseWSGIServer | MultiSocketServer:
    """A bound, not yet running server (port 0 picks a free port)."""
    return create_server(
        app, host=host, port=port, threads=THREADS, ident="picat",
        connection_limit=CONNECTION_LIMIT, channel_timeout=CHANNEL_TIMEOUT,
        cleanup_interval=CLEANUP_INTERVAL, asyncore_use_poll=True,
        outbuf_high_watermark=OUTBUF_HIGH_WATERMARK, max_request_body_size=MAX_REQUEST_BODY,
        max_request_header_size=MAX_REQUEST_HEADER,
    )


def serve(app: Flask, host: str, port: int, started: Callable[[], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM from `picat up`).

    `started` runs once the port is bound: `picat up` starts there the threads that may
    interrupt this one, so an interrupt never lands while the server is half built (its
    pipes were then left for the interpreter's shutdown to complain about)."""
    server = make_server(app, host, port)
    shown = f"[{host}]" if ":" in host else host
    print(f"Pi Catalogue gallery on http://{shown}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        if started is not None:
            started()
        server.run()
    finally:
        server.close()
