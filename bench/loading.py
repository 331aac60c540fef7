"""A data directory whose append-only file takes long to load, and `picat up` timed on it.

`make_data_dir` lets the embedded server create a directory with the index, then
appends `pictures` small picture hashes to its append-only file directly (RESP
`HSET` commands, which is what Redis itself would have written), so a directory
that takes a minute to load is made in seconds. Loading replays every command and
RediSearch indexes every hash, as after a real restart.

`python -m bench.loading --pictures 2500000 --dir /tmp/slow` makes one (about 34 s of
loading on the 2-core development machine) and times `picat up` on it: when the
gallery answers 503 "loading", the progress lines, when it serves the first page.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from picat.embedded import EmbeddedRedis
from picat.schema import DEFAULT_CATALOGUE, connect, index

BATCH = 10_000


def _command(*args: bytes) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


def make_data_dir(directory: Path, pictures: int, port: int, prefix: str = "image:") -> None:
    """A data directory holding the index and `pictures` small hashes, 5 per second."""
    server = EmbeddedRedis(port, directory, str(directory.parent / "make-data-dir.log"))
    server.start()
    try:
        index.apply(connect(server.url), DEFAULT_CATALOGUE)
    finally:
        server.stop()
    incr = next((directory / "appendonlydir").glob("*.incr.aof"))
    with open(incr, "ab") as aof:
        for start in range(0, pictures, BATCH):
            aof.write(b"".join(
                _command(
                    b"HSET", b"%s%012d" % (prefix.encode(), n),
                    b"timestamp", b"%d" % (1_700_000_000 + n // 5),
                    b"lux", b"%d" % (n % 1000), b"camera", b"loading",
                    b"image_data", b"\xff\xd8" + b"x" * 40,
                )
                for n in range(start, min(pictures, start + BATCH))
            ))
        aof.flush()
        os.fsync(aof.fileno())


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError):
        return 0


def time_picat_up(data_dir: Path, redis_port: int, web_port: int) -> dict[str, object]:
    """Run `picat up --camera none` on `data_dir` (a `redis/` folder inside it) and time
    the gallery's first 503 and first 200; returns the times and the progress lines."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        "PICAT_DATA_DIR": str(data_dir),
        "PICAT_REDIS_PORT": str(redis_port),
    }
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "picat.cli", "up", "--port", str(web_port), "--camera", "none"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    first_503 = first_200 = None
    try:
        while first_200 is None and proc.poll() is None:
            status = _status(f"http://127.0.0.1:{web_port}/")
            now = time.monotonic() - started
            if status == 503 and first_503 is None:
                first_503 = now
            elif status == 200:
                first_200 = now
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=120)
    finally:
        proc.kill()
    return {
        "first_503_s": first_503,
        "first_page_s": first_200,
        "progress": [line for line in output.splitlines() if "loading its data" in line
                     or "loaded its data" in line],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pictures", type=int, default=2_500_000)
    parser.add_argument("--dir", type=Path, required=True, help="PICAT_DATA_DIR to make")
    parser.add_argument("--redis-port", type=int, default=11150)
    parser.add_argument("--web-port", type=int, default=11151)
    parser.add_argument("--make-only", action="store_true")
    args = parser.parse_args()
    redis_dir = args.dir / "redis"
    if not redis_dir.exists():
        started = time.monotonic()
        make_data_dir(redis_dir, args.pictures, args.redis_port)
        size = sum(f.stat().st_size for f in (redis_dir / "appendonlydir").iterdir())
        print(f"made {redis_dir}: {args.pictures:,} hashes, {size / 1e6:,.0f} MB of "
              f"append-only file, in {time.monotonic() - started:.1f} s")
    if args.make_only:
        return
    result = time_picat_up(args.dir, args.redis_port, args.web_port)
    for line in result["progress"]:  # type: ignore[attr-defined]
        print(line)
    print(f"gallery answered 503 after {result['first_503_s']} s, "
          f"served its first page after {result['first_page_s']} s")


if __name__ == "__main__":
    main()
