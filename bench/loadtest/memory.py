"""Peak memory of the gallery serving pictures that are too big: a 13000x13000 PNG and a
200 MB JPEG, as seed-style hashes (no thumbnail), asked for in parallel.

    python -m bench.loadtest.memory            # prints the statuses and the peak RSS (VmHWM)

It starts a private embedded Redis in a temporary directory and the gallery in a
process of its own (`webapp.server.make_server`, as `picat web`), then sends
thumbnails, originals, downloads and byte ranges of both pictures from 8 threads, 4
rounds, and reads the server's peak resident memory from /proc/<pid>/status.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image as PILImage

from picat.embedded import EmbeddedRedis
from picat.schema import Catalogue, connect, index

SERVE = """
import sys
from picat.webapp import create_app
from picat.webapp.server import make_server
make_server(create_app(sys.argv[1]), "127.0.0.1", int(sys.argv[2])).run()
"""
PNG_ID, JPEG_ID = "1790000000", "1790000001"


def _pictures() -> dict[str, tuple[bytes, str]]:
    png = io.BytesIO()
    PILImage.new("RGB", (13000, 13000), (40, 90, 160)).save(png, "PNG", compress_level=1)
    jpeg = io.BytesIO()
    PILImage.new("RGB", (1600, 1200), (200, 120, 40)).save(jpeg, "JPEG")
    # Bytes after the end-of-image marker are ignored by decoders: a 200 MB "photo".
    big = jpeg.getvalue() + b"\0" * (200 * 2**20 - len(jpeg.getvalue()))
    return {PNG_ID: (png.getvalue(), "image/png"), JPEG_ID: (big, "image/jpeg")}


def _peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _get(port: int, path: str, headers: dict[str, str]) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        size = len(response.read())
        return f"{response.status} {size}"
    finally:
        connection.close()


def run(redis_port: int, web_port: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder, EmbeddedRedis(redis_port, Path(folder)) as db:
        r = connect(db.url)
        catalogue = Catalogue()
        index.apply(r, catalogue)
        for seconds, (data, mime_type) in _pictures().items():
            r.hset(catalogue.prefix + seconds, mapping={
                "image_data": data, "timestamp": seconds, "mime_type": mime_type})
        server = subprocess.Popen([sys.executable, "-c", SERVE, db.url, str(web_port)])
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    _get(web_port, "/healthz", {})
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            idle_kb = _peak_kb(server.pid)
            asks = [
                (f"/images/{image}/{variant}", headers)
                for image in (PNG_ID, JPEG_ID)
                for variant in ("thumbnail", "image", "download")
                for headers in ({}, {"Range": "bytes=0-1023"},
                                {"Range": "bytes=100000000-100001023"})
            ] * 4
            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(lambda ask: _get(web_port, *ask), asks))
            statuses: dict[str, int] = {}
            for (path, headers), answer in zip(asks, answers, strict=True):
                key = f"{path} {headers.get('Range', '')} -> {answer.split()[0]}".strip()
                statuses[key] = statuses.get(key, 0) + 1
            return {"idle_peak_rss_mb": round(idle_kb / 1024, 1),
                    "peak_rss_mb": round(_peak_kb(server.pid) / 1024, 1),
                    "requests": len(asks), "statuses": statuses}
        finally:
            server.terminate()
            server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-port", type=int, default=17190)
    parser.add_argument("--web-port", type=int, default=17191)
    args = parser.parse_args()
    print(json.dumps(run(args.redis_port, args.web_port), indent=2))


if __name__ == "__main__":
    main()
