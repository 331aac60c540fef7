"""Soak: many captures, as fast as capture takes them, into a memory budget that holds a
fraction of them, with some pictures kept along the way; then check what retention did.

`python -m bench.soak` (defaults: 20,000 captures, a budget for about 5,000) runs the
real pipeline in one process against a private embedded Redis started with
`maxmemory` = the budget: the simulated camera, the spool, the uploader with WAITAOF,
`picat.schema.pruning.Retention` in its own thread, a keeper that keeps the newest
picture every `--keep-every` seconds (as a user would in the gallery), and a sampler
that reads `used_memory` every 0.1 s. At the end it checks, and prints as JSON:
- `used_memory` never passed the budget;
- no capture was refused (Redis never said out of memory) and none was lost: every
  capture is either in Redis or in a pruning run's list, never both;
- every kept picture is still there;
- the unkept pictures that remain are exactly the newest ones;
- the pruning log accounts for every picture that went.
Exit status 1 if any check fails. The suite runs it at small scale (tests/bench/test_soak.py).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

from picat.capture.durable import DurableWriter, connect_single
from picat.capture.frame import Frame
from picat.capture.service import CaptureService
from picat.capture.simulated import SimulatedCamera
from picat.capture.spool import Spool
from picat.capture.uploader import Uploader
from picat.embedded import EmbeddedRedis
from picat.schema import DEFAULT_CATALOGUE, Trigger, connect, id_timestamp, index, store
from picat.schema.pruning import Retention

HASH_OVERHEAD = 1_500
"""Bytes a picture costs beyond its JPEG and thumbnail (hash fields, index entries), for
sizing the budget before the run; the run reports what it really held."""


class RepeatingCamera:
    """The simulated camera's pictures, drawn once and handed out again with the time of
    each capture: drawing a full-size frame takes 0.2-0.7 s here, and the soak measures
    storage, not drawing."""

    def __init__(self, resolution: tuple[int, int], frames: int) -> None:
        # Frames an hour apart: different light, different bytes, like a day of pictures.
        times = iter([time.time() - 3600 * n for n in range(frames)])
        camera = SimulatedCamera(resolution, 320, 90, clock=lambda: next(times))
        self.frames = [camera.capture() for _ in range(frames)]
        self.next = 0

    def capture(self) -> Frame:
        frame = self.frames[self.next % len(self.frames)]
        self.next += 1
        return replace(frame, timestamp=time.time())

    def preview(self) -> object:
        raise NotImplementedError("no motion detection in the soak")

    def close(self) -> None:
        """Nothing to release."""


class Burst:
    """A trigger that fires `count` times as fast as capture goes."""

    kind = Trigger.MANUAL

    def __init__(self, count: int) -> None:
        self.left = count

    def wait(self, stop: threading.Event) -> bool:
        if self.left <= 0 or stop.is_set():
            return False
        self.left -= 1
        return True

    def close(self) -> None:
        """Nothing to release."""


class Refusals(logging.Handler):
    """Counts the uploader's warnings that Redis did not take pictures."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "captures stay in" in record.getMessage():
            self.messages.append(record.getMessage())


def _newest_key(r) -> str | None:
    reply = r.execute_command(
        "FT.SEARCH", DEFAULT_CATALOGUE.index, "@expires_at:[-inf +inf]",
        "SORTBY", "timestamp", "DESC", "LIMIT", "0", "1", "NOCONTENT",
    )
    return reply[1].decode() if len(reply) > 1 else None


def soak(
    captures: int, holds: int, resolution: tuple[int, int], keep_every: float, port: int,
    workdir: Path,
) -> dict[str, object]:
    camera = RepeatingCamera(resolution, frames=12)
    picture_bytes = HASH_OVERHEAD + sum(
        len(frame.jpeg) + len(frame.thumbnail) for frame in camera.frames
    ) // len(camera.frames)

    server = EmbeddedRedis(port, workdir / "redis", str(workdir / "redis.log"), maxmemory=0)
    server.start()
    try:
        r = connect(server.url)
        index.apply(r)
        base = int(r.info("memory")["used_memory"])
        budget = base + holds * picture_bytes
        r.config_set("maxmemory", budget)

        lines: list[str] = []
        retention = Retention(connect(server.url), None, report=lines.append, tick=0.1)
        stop, done = threading.Event(), threading.Event()
        samples: list[int] = []
        kept: list[str] = []

        def sample_memory() -> None:
            probe = connect(server.url)
            while not done.is_set():
                samples.append(int(probe.info("memory")["used_memory"]))
                done.wait(0.1)

        def keep_newest() -> None:
            keeper = connect(server.url)
            while not done.wait(keep_every):
                key = _newest_key(keeper)
                if key is not None:
                    image_id = DEFAULT_CATALOGUE.id_from_key(key)
                    if store.keep(keeper, image_id):
                        kept.append(image_id)

        refusals = Refusals()
        logging.getLogger("picat.capture").addHandler(refusals)
        threads = [
            threading.Thread(target=retention.run, args=(stop,), name="retention"),
            threading.Thread(target=sample_memory, name="sampler"),
            threading.Thread(target=keep_newest, name="keeper"),
        ]
        for thread in threads:
            thread.start()
        spool = Spool(workdir / "spool", 10 * 2**30)
        service = CaptureService(
            camera, Burst(captures), spool,
            Uploader(spool, DurableWriter(connect_single(server.url)), DEFAULT_CATALOGUE),
            "soak", 7 * 86400,
        )
        started = time.monotonic()
        emptied = service.run(threading.Event())
        seconds = time.monotonic() - started
        time.sleep(1.0)  # one more look by retention at what arrived last
        done.set()
        stop.set()
        for thread in threads:
            thread.join()
        logging.getLogger("picat.capture").removeHandler(refusals)

        present = {
            DEFAULT_CATALOGUE.id_from_key(key)
            for key in r.scan_iter(match=DEFAULT_CATALOGUE.prefix + "*", count=1000)
        }
        pruned = [image_id for run in retention.runs for image_id in run.ids]
        everything = present | set(pruned)
        unkept = sorted(everything - set(kept), key=lambda i: (id_timestamp(i), i))
        remaining_unkept = [i for i in unkept if i in present]
        checks = {
            "used_memory never passed the budget": max(samples) <= budget,
            "no capture refused": not refusals.messages and emptied,
            "no capture lost": len(everything) == captures and not present & set(pruned)
            and len(pruned) == len(set(pruned)),
            "every kept picture is still there": set(kept) <= present,
            "the unkept pictures left are exactly the newest":
                remaining_unkept == unkept[len(unkept) - len(remaining_unkept):],
            "the pruning log accounts for every picture that went":
                set(pruned) == everything - present
                and sum(int(line.split()[1].replace(",", "")) for line in lines
                        if line.startswith("pruned ") and not line.startswith("pruned nothing"))
                == len(pruned),
        }
        return {
            "captures": captures,
            "resolution": f"{resolution[0]}x{resolution[1]}",
            "picture_bytes": picture_bytes,
            "budget_bytes": budget,
            "budget_for_pictures": holds,
            "seconds": round(seconds, 1),
            "captures_per_second": round(captures / seconds, 1),
            "max_used_memory": max(samples),
            "max_used_share_of_budget": round(max(samples) / budget, 4),
            "memory_samples": len(samples),
            "pictures_left": len(present),
            "kept": len(kept),
            "pruned": len(pruned),
            "pruning_runs": len(retention.runs),
            "first_pruning_lines": lines[:3],
            "refusals": refusals.messages[:3],
            "checks": checks,
            "passed": all(checks.values()),
        }
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--captures", type=int, default=20_000)
    parser.add_argument("--holds", type=int, default=5_000, help="pictures the budget holds")
    parser.add_argument("--resolution", default="1640x1232")
    parser.add_argument("--keep-every", type=float, default=2.0, help="seconds between keeps")
    parser.add_argument("--port", type=int, default=11160)
    args = parser.parse_args()
    width, height = (int(side) for side in args.resolution.lower().split("x"))
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="picat-soak-") as tmp:
        result = soak(args.captures, args.holds, (width, height), args.keep_every, args.port,
                      Path(tmp))
    print(json.dumps(result, indent=1))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
