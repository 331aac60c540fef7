"""`python -m bench.timelapse`: timelapse encoding speed and memory against the frame count.

Stores `max(--frames)` full-size pictures (1640x1232 JPEGs that weigh what camera
photos weigh, `bench.photos`) in a private Redis, one a minute, then makes a
1080p timelapse of the first N of them for each N in `--frames`, each in a fresh
child process (`picat.timelapse.make`, as the gallery's worker runs it: frames
chosen through the index, bytes read from Redis one picture at a time, H.264
with libx264). Each child reports its frames a second and its peak resident
memory (`VmHWM`), and its resident memory at every tenth of the run and after
closing the file, so a curve that stays flat shows memory does not grow with the
frame count.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from picat.schema import Catalogue, Image, index, new_image_id, store

from .photos import photos
from .servers import private_redis

DISTINCT = 24
START = 1_760_000_000.0
CATALOGUE = Catalogue()


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 1e6


def _peak_rss_mb() -> float:
    """`VmHWM`, this process's own peak. Not `ru_maxrss`: Linux carries that across
    `execve`, so a child started by a big parent would report the parent's size."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6  # kB (KiB) to MB
    raise LookupError("no VmHWM in /proc/self/status")


def child(url: str, frames: int, out: Path) -> dict[str, object]:
    """One timelapse of the first `frames` pictures; what it cost."""
    from picat.schema import connect
    from picat.schema.frames import Choice
    from picat.schema.query import Filters
    from picat.timelapse.encode import VideoFormat
    from picat.timelapse.make import Progress, make

    r = connect(url, socket_timeout=600)
    samples: list[float] = []

    def report(progress: Progress) -> None:
        if progress.done % max(1, frames // 10) == 0:
            samples.append(round(_rss_mb(), 1))

    filters = Filters(end=START + 60 * (frames - 1))
    started = time.perf_counter()
    progress = make(
        r, CATALOGUE, filters, Choice(), VideoFormat(), out, planned=frames,
        max_frames=frames, max_bytes=10**12, report=report,
    )
    seconds = time.perf_counter() - started
    samples.append(round(_rss_mb(), 1))  # after the encoder's flush and the faststart rewrite
    return {
        "frames": progress.done, "seconds": round(seconds, 2),
        "fps": round(progress.done / seconds, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "rss_mb_every_tenth": samples, "video_mb": round(out.stat().st_size / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", default="500,5000", help="comma-separated frame counts")
    parser.add_argument(
        "--child", nargs=3, metavar=("URL", "FRAMES", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        url, frames, out = args.child
        print(json.dumps(child(url, int(frames), Path(out))))
        return
    counts = [int(n) for n in args.frames.split(",")]
    with private_redis(durable=False) as (url, r), tempfile.TemporaryDirectory() as scratch:
        index.apply(r, CATALOGUE)
        bodies = list(photos(min(DISTINCT, max(counts)), seed=15))
        started = time.perf_counter()
        for n in range(max(counts)):
            body = bodies[n % len(bodies)]
            timestamp = START + 60 * n
            image = Image(pk=new_image_id(timestamp), timestamp=timestamp, camera="bench",
                          width=1640, height=1232, time_of_day=int(timestamp % 86400),
                          utc_offset=0)
            store.save(r, image, body, None, CATALOGUE)
        average_kb = sum(map(len, bodies)) / len(bodies) / 1e3
        print(f"stored {max(counts):,} pictures of {average_kb:.0f} KB on average in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        results = []
        for frames in counts:
            out = Path(scratch) / f"{frames}.mp4"
            done = subprocess.run(
                [sys.executable, "-m", "bench.timelapse", "--child", url, str(frames), str(out)],
                capture_output=True, text=True, check=True,
            )
            result = json.loads(done.stdout)
            print(json.dumps(result), file=sys.stderr)
            results.append(result)
            out.unlink()
    print(json.dumps({"distinct_pictures": len(bodies), "runs": results}, indent=1))


if __name__ == "__main__":
    main()
