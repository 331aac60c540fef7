"""Timelapses made in the background: one worker thread per process, state in Redis.

A job is a Redis hash (`picat-timelapse:idx:images:job:<id>`, listed newest first
in the sorted set `picat-timelapse:idx:images:jobs`) that the worker updates twice a
second with its progress, so any request (any thread, any process on the same
Redis) can show it. While a worker runs a job it keeps a lease key alive
(`...:job:<id>:lease`, refreshed by a heartbeat thread); a job still marked
running whose lease has lapsed was being made by a process that died (a restart,
a kill), and whoever reads it next marks it failed, so it shows "failed, retry"
instead of running forever.

The video is written to `<id>.mp4.part` and renamed to `<id>.mp4` when complete,
so a `.mp4` file is always a finished video. Cancelling sets a flag the worker
reads with its next progress write; it stops and removes the partial file.
Finished jobs expire like pictures do (`PICAT_TIMELAPSE_TTL` on the hash); a
video whose job hash has gone is removed by the next sweep (at start-up and
whenever the list is read), as are partial files no live worker owns.

One job runs at a time per process: a second start is refused with a message
rather than queued, since encoding keeps up to two cores busy for minutes.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import redis

from picat.schema import Catalogue
from picat.schema.frames import Choice, count_frames, frozen
from picat.schema.originals import StoreUnavailable
from picat.schema.query import Filters

from .encode import Stopped, TooLarge, VideoFormat
from .make import NoFrames, Progress, TooManyFrames, make
from .settings import Limits

log = logging.getLogger(__name__)

JOB_ID = re.compile(r"[0-9a-f]{16}")
LEASE = 10.0
"""Seconds a worker's lease lives without a heartbeat (it beats every third of it)."""
REPORT_EVERY = 0.5
MAX_LISTED = 200
INTERRUPTED = (
    "interrupted: the process making it stopped (a restart or a crash) before it finished"
)


class Status(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Busy(RuntimeError):
    """This process is already making a timelapse."""


class OverLimit(ValueError):
    """The request asks for more than the limits allow, or for nothing at all."""


def key_prefix(catalogue: Catalogue) -> str:
    """`picat-timelapse:idx:images:`, the catalogue's own (a test catalogue gets its own)."""
    return catalogue.timelapse_prefix


def _text(value: bytes | None) -> str:
    return value.decode() if value is not None else ""


def _number(value: bytes | None) -> float:
    try:
        return float(_text(value) or 0)
    except ValueError:
        return 0.0


@dataclass(frozen=True)
class Job:
    """A job as Redis holds it, read at one moment."""

    id: str
    status: Status
    params: str
    description: str
    video_fps: int
    planned: int
    done: int
    fps: float
    seconds_left: float | None
    created: float
    finished: float | None
    bytes: int
    error: str
    expires: float | None
    skipped: int = 0
    """Pictures left out because they had gone or did not decode."""

    @classmethod
    def from_hash(cls, job_id: str, fields: dict[bytes, bytes], pttl: int) -> Job:
        def get(name: str) -> bytes | None:
            return fields.get(name.encode())

        left = get("seconds_left")
        finished = _number(get("finished"))
        return cls(
            id=job_id,
            status=Status(_text(get("status")) or Status.FAILED),
            params=_text(get("params")),
            description=_text(get("description")),
            video_fps=int(_number(get("video_fps"))) or 1,
            planned=int(_number(get("planned"))),
            done=int(_number(get("done"))),
            fps=_number(get("fps")),
            seconds_left=_number(left) if left else None,
            created=_number(get("created")),
            finished=finished or None,
            bytes=int(_number(get("bytes"))),
            error=_text(get("error")),
            expires=time.time() + pttl / 1000 if pttl > 0 else None,
            skipped=int(_number(get("skipped"))),
        )

    @property
    def running(self) -> bool:
        return self.status is Status.RUNNING

    @property
    def percent(self) -> int:
        if self.status is Status.DONE:
            return 100
        return min(99, math.floor(100 * self.done / self.planned)) if self.planned else 0

    @property
    def duration(self) -> float:
        """Seconds of video: frames / frame rate."""
        return self.done / self.video_fps

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "description": self.description,
            "params": self.params,
            "frames_planned": self.planned,
            "frames_done": self.done,
            "percent": self.percent,
            "encoding_fps": round(self.fps, 2),
            "seconds_left": None if self.seconds_left is None else round(self.seconds_left, 1),
            "video_fps": self.video_fps,
            "duration": round(self.duration, 3),
            "bytes": self.bytes,
            "created": self.created,
            "finished": self.finished,
            "expires": self.expires,
            "error": self.error or None,
            "skipped": self.skipped,
        }


class _Heartbeat(threading.Thread):
    """Keeps a worker's lease alive until stopped, even through a long flush."""

    def __init__(self, r: redis.Redis, key: str, lease: float) -> None:
        super().__init__(daemon=True, name=f"lease {key}")
        self.r, self.key, self.lease = r, key, lease
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.lease / 3):
            try:
                # XX: never bring back a lease the finished job has deleted.
                self.r.set(self.key, b"1", px=int(self.lease * 1000), xx=True)
            except redis.RedisError:
                log.warning("timelapse: could not renew %s", self.key)


class Jobs:
    """The timelapse jobs of one catalogue; runs at most one at a time in this process."""

    def __init__(
        self, r: redis.Redis, catalogue: Catalogue, folder: Path, limits: Limits, *,
        lease: float = LEASE,
    ) -> None:
        self.r = r
        self.catalogue = catalogue
        self.folder = folder
        self.limits = limits
        self.lease = lease
        self.prefix = key_prefix(catalogue)
        self._slot = threading.Lock()
        self.sweep()

    # Keys and files -------------------------------------------------------------------

    def _key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def _lease_key(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}:lease"

    @property
    def _index(self) -> str:
        return f"{self.prefix}jobs"

    def video_path(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.mp4"

    def _part_path(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.mp4.part"

    # Reading --------------------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        """The job, or None if there is none (or it expired); a job whose worker died is
        marked failed here."""
        if not JOB_ID.fullmatch(job_id):
            return None
        with self.r.pipeline(transaction=False) as pipe:
            pipe.hgetall(self._key(job_id))
            pipe.pttl(self._key(job_id))
            pipe.exists(self._lease_key(job_id))
            fields, pttl, leased = pipe.execute()
        if not fields:
            return None
        job = Job.from_hash(job_id, fields, pttl)
        if job.running and not leased:
            self._finish(job_id, Status.FAILED, error=INTERRUPTED)
            self._part_path(job_id).unlink(missing_ok=True)
            return self.get(job_id)
        return job

    def list(self) -> list[Job]:
        """The newest jobs first (at most `MAX_LISTED`); forgets those that expired."""
        self.sweep()
        ids = [_text(i) for i in self.r.zrevrange(self._index, 0, MAX_LISTED - 1)]
        jobs = [self.get(job_id) for job_id in ids]
        return [job for job in jobs if job is not None]

    def sweep(self) -> None:
        """Forget expired jobs and remove videos and partial files nobody owns."""
        ids = [_text(i) for i in self.r.zrange(self._index, 0, -1)]
        if ids:
            with self.r.pipeline(transaction=False) as pipe:
                for job_id in ids:
                    pipe.exists(self._key(job_id))
                alive = pipe.execute()
            gone = [job_id for job_id, there in zip(ids, alive, strict=True) if not there]
            if gone:
                self.r.zrem(self._index, *gone)
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            job_id = path.name.split(".", 1)[0]
            if not JOB_ID.fullmatch(job_id) or not path.name.endswith((".mp4", ".mp4.part")):
                continue
            job = self.get(job_id)
            if job is None or (path.name.endswith(".part") and not job.running):
                path.unlink(missing_ok=True)

    # Changing -------------------------------------------------------------------------

    def start(
        self, filters: Filters, choice: Choice, video: VideoFormat, *,
        params: str, description: str,
    ) -> Job:
        """Count the frames, then start making the video in a worker thread.

        Raises `Busy` when this process is making one already, `OverLimit` when the
        choice yields no frame or more than `max_frames`.
        """
        if not self._slot.acquire(blocking=False):
            raise Busy(
                "A timelapse is being made already; this gallery makes one at a time. "
                "Wait for it to finish, or cancel it."
            )
        try:
            filters = frozen(filters, time.time())
            planned = count_frames(
                self.r, filters, choice, stop_after=self.limits.max_frames,
                catalogue=self.catalogue,
            )
            if planned == 0:
                raise OverLimit("No picture matches this view and choice: nothing to make.")
            if planned > self.limits.max_frames:
                raise OverLimit(
                    f"This would make more than {self.limits.max_frames:,} frames (the limit, "
                    "PICAT_TIMELAPSE_MAX_FRAMES). Choose fewer: one picture per interval or "
                    "per day, or a shorter date range."
                )
            job_id = secrets.token_hex(8)
            now = time.time()
            with self.r.pipeline(transaction=True) as pipe:
                pipe.hset(self._key(job_id), mapping={
                    "status": Status.RUNNING.value, "params": params,
                    "description": description, "video_fps": video.fps,
                    "planned": planned, "done": 0, "fps": 0, "created": now,
                })
                pipe.set(self._lease_key(job_id), b"1", px=int(self.lease * 1000))
                pipe.zadd(self._index, {job_id: now})
                pipe.execute()
            worker = threading.Thread(
                target=self._run, args=(job_id, filters, choice, video, planned),
                daemon=True, name=f"timelapse {job_id}",
            )
            worker.start()
        except BaseException:
            self._slot.release()
            raise
        return self.get(job_id)  # type: ignore[return-value]

    def cancel(self, job_id: str) -> Job | None:
        """Ask the worker to stop; it removes the partial file and marks the job cancelled."""
        job = self.get(job_id)
        if job is not None and job.running:
            self.r.hset(self._key(job_id), "cancel", 1)
        return job

    def delete(self, job_id: str) -> bool:
        """Remove a job that is not running, and its video."""
        job = self.get(job_id)
        if job is None or job.running:
            return False
        self.r.delete(self._key(job_id))
        self.r.zrem(self._index, job_id)
        self.video_path(job_id).unlink(missing_ok=True)
        return True

    def _finish(self, job_id: str, status: Status, **fields: object) -> None:
        key = self._key(job_id)
        with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"status": status.value, "finished": time.time(), **fields})
            pipe.hdel(key, "seconds_left")
            if self.limits.ttl:
                pipe.expire(key, self.limits.ttl)
            pipe.delete(self._lease_key(job_id))
            pipe.execute()

    # The worker -----------------------------------------------------------------------

    def _reporter(self, job_id: str) -> Callable[[Progress], None]:
        key = self._key(job_id)
        last = 0.0

        def report(progress: Progress) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last < REPORT_EVERY:
                return
            last = now
            left = progress.seconds_left
            with self.r.pipeline(transaction=False) as pipe:
                pipe.hset(key, mapping={
                    "done": progress.done, "fps": round(progress.fps, 3),
                    "seconds_left": "" if left is None else round(left, 1),
                })
                pipe.hmget(key, "status", "cancel")
                _, (status, cancel) = pipe.execute()
            if cancel or _text(status) != Status.RUNNING:
                raise Stopped("cancelled")

        return report

    def _run(
        self, job_id: str, filters: Filters, choice: Choice, video: VideoFormat, planned: int
    ) -> None:
        heartbeat = _Heartbeat(self.r, self._lease_key(job_id), self.lease)
        heartbeat.start()
        part, final = self._part_path(job_id), self.video_path(job_id)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            progress = make(
                self.r, self.catalogue, filters, choice, video, part, planned=planned,
                max_frames=self.limits.max_frames, max_bytes=self.limits.max_bytes,
                report=self._reporter(job_id),
            )
            part.replace(final)
            self._finish(
                job_id, Status.DONE, done=progress.done, bytes=final.stat().st_size,
                fps=round(progress.fps, 3), skipped=progress.skipped,
            )
        except Stopped:
            part.unlink(missing_ok=True)
            status = self.r.hget(self._key(job_id), "status")
            if _text(status) == Status.RUNNING:
                self._finish(job_id, Status.CANCELLED)
        except (TooLarge, TooManyFrames, NoFrames, StoreUnavailable) as exc:
            part.unlink(missing_ok=True)
            self._finish(job_id, Status.FAILED, error=str(exc))
        except Exception as exc:
            log.exception("timelapse %s failed", job_id)
            part.unlink(missing_ok=True)
            # If Redis is gone too, the lease lapses and readers will call it interrupted.
            with contextlib.suppress(redis.RedisError):
                self._finish(job_id, Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        finally:
            heartbeat.stopped.set()
            self._slot.release()
