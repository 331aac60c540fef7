"""Serving the gallery with waitress, a production WSGI server that needs no C build."""

from __future__ import annotations

from flask import Flask
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

# A gallery page loads its thumbnails in parallel (browsers open about six
# connections per host) while the "new pictures" banner polls.
THREADS = 8


def make_server(app: Flask, host: str, port: int) -> BaseWSGIServer | MultiSocketServer:
    """A bound, not yet running server (port 0 picks a free port)."""
    return create_server(app, host=host, port=port, threads=THREADS, ident="picat")


def serve(app: Flask, host: str, port: int) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM from `picat up`)."""
    server = make_server(app, host, port)
    shown = f"[{host}]" if ":" in host else host
    print(f"Pi Catalogue gallery on http://{shown}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        server.run()
    finally:
        server.close()
