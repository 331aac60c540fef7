"""Concurrent HTTP clients: keep-alive connections, a mix of requests, latency per kind.

Each client is a thread with its own `http.client` connection (no third-party
client: less CPU taken from the server on a small machine). It walks gallery views
as a person would: a first page, the next pages through the cursor, the JSON twin,
and the thumbnails of the pictures it has seen.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote

# Weights: a gallery page is followed by many thumbnail requests in a browser.
MIX = {"gallery": 15, "next_page": 15, "api": 20, "thumbnail": 50}
VIEWS = (
    "",
    "lux_min=500",
    "camera=greenhouse",
    "sort=brightest",
    "tod_from=06:00&tod_to=08:00",
    "sort=oldest&lux_max=20",
)


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, problem: str | None) -> None:
        with self.lock:
            if problem is None:
                self.latencies[kind].append(seconds)
            else:
                self.errors[kind] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{kind}: {problem}")


class Client:
    def __init__(self, port: int, token: str, seed: int, results: Results) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}"}
        self.rng = random.Random(seed)
        self.results = results
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cursors: dict[str, str] = {}
        self.started = time.perf_counter()
        self.ids: list[str] = []

    def _get(self, path: str, htmx: bool = False) -> tuple[int, bytes]:
        headers = {**self.headers, "HX-Request": "true"} if htmx else self.headers
        try:
            self.connection.request("GET", path, headers=headers)
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # reconnect on the next request
            raise

    def _timed(self, kind: str, path: str, htmx: bool = False) -> bytes | None:
        began = time.perf_counter()
        try:
            status, body = self._get(path, htmx)
        except (OSError, http.client.HTTPException) as exc:
            elapsed = time.perf_counter() - began
            self.results.record(
                kind, elapsed,
                f"{type(exc).__name__} {began - self.started:.1f} s into the run, after "
                f"{elapsed:.1f} s: {exc} ({path[:100]})",
            )
            return None
        elapsed = time.perf_counter() - began
        ok = status == 200
        self.results.record(kind, elapsed, None if ok else f"HTTP {status} for {path[:120]}")
        return body if ok else None

    def _api(self, view: str, kind: str, cursor: str | None = None) -> None:
        query = view + (f"&cursor={quote(cursor)}" if cursor else "")
        body = self._timed(kind, f"/api/images?{query}")
        if body is None:
            return
        page = json.loads(body)
        self.ids = [image["id"] for image in page["images"]] or self.ids
        if page["next_cursor"]:
            self.cursors[view] = page["next_cursor"]
        else:
            self.cursors.pop(view, None)

    def step(self) -> None:
        kind = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        view = self.rng.choice(VIEWS)
        if kind == "thumbnail" and self.ids:
            self._timed(kind, f"/images/{self.rng.choice(self.ids)}/thumbnail")
        elif kind == "next_page" and view in self.cursors:
            # The gallery's "load more" fragment; the JSON twin then advances the cursor.
            cursor = quote(self.cursors[view])
            self._timed(kind, f"/more?{view}&cursor={cursor}", htmx=True)  # as htmx asks
            self._api(view, "api", self.cursors[view])
        elif kind == "gallery":
            self._timed(kind, f"/?{view}")
        else:
            self._api(view, "api")

    def run(self, until: float) -> None:
        self._api("", "api")
        while time.monotonic() < until:
            self.step()
        self.connection.close()


def hammer(port: int, token: str, clients: int, seconds: float, seed: int = 1) -> Results:
    """Run `clients` clients for `seconds` and return what they measured."""
    results = Results()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=Client(port, token, seed * 1000 + i, results).run, args=(until,), daemon=True
        )
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    return results
