"""Idle and slow clients cannot take the gallery away: /healthz answers within a second.

150 connections that send nothing, and 10 "download all matching" zips (each larger
than waitress's default 16 MB output buffer) read at 20 KB/s, on the server
`picat web` runs (`webapp.server.make_server`). With waitress's defaults (100
connections, 8 threads here) the idle sockets stopped it accepting anything and the
zips held every worker.
"""

from __future__ import annotations

import http.client
import os
import socket
import threading
import time

from picat.schema import store
from picat.webapp.server import make_server

from ..factories import make_app, picture

PICTURES, PICTURE_BYTES = 12, 1_500_000


def _slow_zip(port: int, stop: threading.Event, statuses: list[str]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /bulk/zip?all=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = sock.recv(2048)
        statuses.append(first.split(b"\r\n", 1)[0].decode())
        sock.settimeout(0.5)
        while not stop.is_set():
            try:
                if not sock.recv(2048):
                    return
            except TimeoutError:
                continue  # a 503 (kept alive) or a pause in the zip
            time.sleep(0.1)  # 20 KB/s


def test_idle_connections_and_slow_zips_leave_healthz_answering(redis_url, r, catalogue):
    body = os.urandom(PICTURE_BYTES)  # does not compress: the zip is 18 MB
    for i in range(PICTURES):
        image = picture(1.79e9 + i, camera="big")
        store.save(r, image, body, None, catalogue)
    app = make_app(redis_url, catalogue, testing=False)
    server = make_server(app, "127.0.0.1", 0)
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    port = server.effective_port
    stop = threading.Event()
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(150)]
    statuses: list[str] = []
    readers = [threading.Thread(target=_slow_zip, args=(port, stop, statuses), daemon=True)
               for _ in range(10)]
    try:
        for reader in readers:
            reader.start()
        time.sleep(2)  # every zip has started and filled what it may
        waits = []
        for _ in range(5):
            started = time.monotonic()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz")
            assert connection.getresponse().status == 200
            connection.close()
            waits.append(time.monotonic() - started)
            time.sleep(0.3)
        assert max(waits) < 1.0, waits
        assert len(statuses) == 10
        assert any(" 200 " in status + " " for status in statuses), statuses
        # Zips beyond the few streamed at once are told to come back, not queued.
        assert all(" 200 " in s + " " or " 503 " in s + " " for s in statuses), statuses
    finally:
        stop.set()
        for sock in idle:
            sock.close()
        for reader in readers:
            reader.join(timeout=10)
        server.close()
        serving.join(timeout=5)
