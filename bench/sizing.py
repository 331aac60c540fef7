"""RAM per picture at the default resolution and quality, thumbnail and metadata included,
and what a GB holds: `python -m bench.sizing` (the README's sizing table).

It draws one simulated picture per hour of a day at the defaults (1640x1232, JPEG
quality 90, 320 px thumbnails), so night and day frames are both in the mean, writes
them with `store.save` into a private embedded Redis with the index, and reads
`used_memory` before and after: everything a picture costs (bytes, hash, key, index
entries, allocator rounding). A camera module's daylight frames are larger than the
simulated ones (400-700 KB at quality 90); the table scales to any size per picture.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from picat.capture.service import build_capture
from picat.capture.simulated import SimulatedCamera
from picat.embedded import EmbeddedRedis
from picat.schema import connect, index, store

INTERVALS = (5, 10, 30, 60, 300)
GB = 1e9


def measure(port: int, copies: int) -> dict[str, object]:
    start = time.time()
    times = iter([start - 3600 * hour for hour in range(24)])
    camera = SimulatedCamera((1640, 1232), 320, 90, clock=lambda: next(times))
    frames = [camera.capture() for _ in range(24)]
    with tempfile.TemporaryDirectory(prefix="picat-sizing-") as tmp:
        server = EmbeddedRedis(port, Path(tmp) / "redis", str(Path(tmp) / "redis.log"))
        server.start()
        try:
            r = connect(server.url)
            index.apply(r)
            before = int(r.info("memory")["used_memory"])
            for _ in range(copies):
                for frame in frames:
                    capture = build_capture(frame, "sizing", "interval", 7 * 86400)
                    store.save(r, capture.image, capture.image_data, capture.thumbnail)
            after = int(r.info("memory")["used_memory"])
        finally:
            server.stop()
    pictures = 24 * copies
    per_picture = (after - before) / pictures
    jpeg = [len(frame.jpeg) for frame in frames]
    thumbnails = [len(frame.thumbnail) for frame in frames]
    per_gb = GB / per_picture
    return {
        "pictures": pictures,
        "jpeg_bytes_mean": round(statistics.mean(jpeg)),
        "jpeg_bytes_min": min(jpeg),
        "jpeg_bytes_max": max(jpeg),
        "thumbnail_bytes_mean": round(statistics.mean(thumbnails)),
        "ram_per_picture_bytes": round(per_picture),
        "pictures_per_gb": round(per_gb),
        "days_per_gb": {f"{s} s": round(per_gb * s / 86400, 2) for s in INTERVALS},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=11170)
    parser.add_argument("--copies", type=int, default=10, help="each hour's frame, this often")
    args = parser.parse_args()
    print(json.dumps(measure(args.port, args.copies), indent=1))


if __name__ == "__main__":
    main()
