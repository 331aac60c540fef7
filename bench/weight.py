"""Page loads over real HTTP: bytes on the wire, cold and revisited, ours and the seed's.

The gallery runs under waitress on 127.0.0.1. A load fetches the HTML, then every
image, stylesheet and script it references, one after another on one keep-alive
connection (a browser fetches in parallel and lazily; we fetch all, in order).
Bytes are the status line, headers and body of every response. A revisit sends
`If-None-Match` with each ETag the cold load received.
"""

from __future__ import annotations

import http.client
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from .timing import percentile

IMAGE_SRC = re.compile(r'<img\b[^>]*\bsrc="([^"]+)"')
ASSET_REF = re.compile(r'<(?:script\b[^>]*\bsrc|link\b[^>]*\bhref)="(/static/[^"]+)"')


@dataclass
class Load:
    html_bytes: int = 0
    image_bytes: int = 0
    image_body_bytes: int = 0
    asset_bytes: int = 0
    images: int = 0
    not_modified: int = 0
    etags: dict[str, str] = field(default_factory=dict)
    html: str = ""

    @property
    def total(self) -> int:
        return self.html_bytes + self.image_bytes + self.asset_bytes


def _fetch(
    conn: http.client.HTTPConnection, path: str, etag: str | None
) -> tuple[int, bytes, int, str | None]:
    """(status, body, bytes on the wire, etag)."""
    conn.request("GET", path, headers={"If-None-Match": etag} if etag else {})
    response = conn.getresponse()
    body = response.read()
    status_line = len(f"HTTP/1.1 {response.status} {response.reason}\r\n")
    headers = sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 2
    return response.status, body, status_line + headers + len(body), response.getheader("ETag")


def load_page(host: str, port: int, path: str, previous: Load | None = None) -> Load:
    """One page load; with `previous`, a revisit that revalidates what that load received."""
    etags = previous.etags if previous else {}
    load = Load()
    conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        status, body, wire, etag = _fetch(conn, path, etags.get(path))
        if status not in (200, 304):
            raise RuntimeError(f"GET {path} answered {status}")
        load.html_bytes = wire
        if etag:
            load.etags[path] = etag
        html = previous.html if status == 304 and previous else body.decode()
        load.html = html
        for src in IMAGE_SRC.findall(html):
            status, body, wire, etag = _fetch(conn, src, etags.get(src))
            load.images += 1
            load.image_bytes += wire
            load.image_body_bytes += len(body)
            load.not_modified += status == 304
            if etag:
                load.etags[src] = etag
        for ref in ASSET_REF.findall(html):
            status, body, wire, etag = _fetch(conn, ref, etags.get(ref))
            load.asset_bytes += wire
            load.not_modified += status == 304
            if etag:
                load.etags[ref] = etag
    finally:
        conn.close()
    return load


def seed_page(host: str, port: int, ids: list[str]) -> int:
    """Bytes of the seed's grid: its 9 pictures at full size (its HTML not counted)."""
    conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        return sum(_fetch(conn, f"/images/{image_id}/image", None)[2] for image_id in ids)
    finally:
        conn.close()


def _summary(load: Load) -> dict[str, Any]:
    out = asdict(load)
    out.pop("etags")
    out.pop("html")
    out["total_bytes"] = load.total
    return out


def page_loads(host: str, port: int, path: str, runs: int) -> dict[str, Any]:
    """Cold and revisit loads `runs` times each: bytes of the last, p50/p95 wall times."""
    cold_ms, revisit_ms = [], []
    cold = revisit = Load()
    for _ in range(max(runs, 1)):
        began = time.perf_counter()
        cold = load_page(host, port, path)
        cold_ms.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        revisit = load_page(host, port, path, cold)
        revisit_ms.append((time.perf_counter() - began) * 1000)
    return {
        "cold": {**_summary(cold), "p50_ms": percentile(cold_ms, 0.5),
                 "p95_ms": percentile(cold_ms, 0.95), "runs": len(cold_ms)},
        "revisit": {**_summary(revisit), "p50_ms": percentile(revisit_ms, 0.5),
                    "p95_ms": percentile(revisit_ms, 0.95), "runs": len(revisit_ms)},
    }
