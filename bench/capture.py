"""Measure the capture path: `python -m bench.capture [--pictures 200]`.

Starts a Redis with RediSearch of its own (picat.embedded, a free port, a
temporary directory, append-only with fsync every second, as `picat redis` runs)
and times, on this machine:
- a simulated capture at the default 1640x1232 (draw, JPEG, thumbnail), with sizes;
- thumbnail sizes for random textures from coarse to pure noise (the worst case);
- one spool write (fsync and rename), one durable write (MULTI + WAITAOF) alone;
- replaying a backlog of N spooled pictures, the throughput after a Redis outage;
- the motion detector on one 320x240 frame.
Prints a Markdown table; times are wall-clock medians on the client.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from picat.capture.durable import DurableWriter, connect_single
from picat.capture.imaging import make_thumbnail
from picat.capture.motion import MotionDetector
from picat.capture.service import build_capture
from picat.capture.simulated import SimulatedCamera
from picat.capture.spool import Spool
from picat.capture.uploader import Uploader
from picat.embedded import EmbeddedRedis, free_port
from picat.schema import Catalogue

from .timing import elapsed_ms

CATALOGUE = Catalogue(prefix="bench-capture:image:", index="bench-capture:idx:images")


def median_ms(action: Callable[[], object], runs: int) -> float:
    return statistics.median(elapsed_ms(action) for _ in range(runs))


def detailed_picture(size: tuple[int, int], seed: int, grain: int) -> PILImage.Image:
    """Random texture with features `grain` pixels wide: foliage-like at 4, worst case at 1."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (size[1] // grain, size[0] // grain, 3), dtype=np.uint8)
    return PILImage.fromarray(coarse).resize(size, PILImage.Resampling.BILINEAR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=200, help="backlog size to replay")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    camera = SimulatedCamera((1640, 1232), 320, 90, seed=1)
    frames = [camera.capture() for _ in range(5)]
    rows.append(("simulated capture 1640x1232 (draw + JPEG q90 + thumbnail)",
                 f"{median_ms(camera.capture, 10):.0f} ms"))
    rows.append(("simulated JPEG / thumbnail size",
                 f"{statistics.median(len(f.jpeg) for f in frames) / 1024:.0f} KB / "
                 f"{statistics.median(len(f.thumbnail) for f in frames) / 1024:.1f} KB"))
    for grain, name in ((16, "coarse texture"), (4, "fine texture"), (1, "pure noise")):
        sizes = [len(make_thumbnail(detailed_picture((1640, 1232), s, grain), 320))
                 for s in range(3)]
        rows.append((f"thumbnail (320 px, q75) of {name}, max of 3",
                     f"{max(sizes) / 1024:.1f} KB"))
    detector = MotionDetector(1.0, 0)
    luma = np.random.default_rng(0).integers(0, 255, (240, 320), dtype=np.uint8)
    rows.append(("motion detector, one 320x240 frame",
                 f"{median_ms(lambda: detector.update(luma), 50):.2f} ms"))

    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(
        free_port(), Path(tmp) / "redis", str(Path(tmp) / "redis.log")
    ) as server:
        spool = Spool(Path(tmp) / "spool", 10 * 2**30)
        writer = DurableWriter(connect_single(server.url), CATALOGUE)
        captures = [build_capture(frames[i % 5], "bench", "interval", 0)
                    for i in range(args.pictures)]
        rows.append(("spool write of one capture (fsync + rename)",
                     f"{median_ms(lambda: spool.put(captures[0]), 20):.1f} ms"))
        rows.append(("durable write of one capture (MULTI + WAITAOF, everysec)",
                     f"{median_ms(lambda: writer.write([captures[0]]), 10):.0f} ms"))
        for path in spool.pending():
            spool.remove(path)
        for capture in captures:
            spool.put(capture)
        uploader = Uploader(spool, writer, CATALOGUE)
        start = time.perf_counter()
        stored = uploader.drain_once()
        seconds = time.perf_counter() - start
        rows.append((f"replay of {stored} spooled captures",
                     f"{seconds:.1f} s ({stored / seconds:.0f} pictures/s)"))

    print(f"capture path on {platform.machine()} {platform.python_version()}\n")
    print("| what | measured |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")


if __name__ == "__main__":
    main()
