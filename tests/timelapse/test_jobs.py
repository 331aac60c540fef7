"""Background jobs: a real video in capture order, cancel, a killed worker, the limits."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from picat.schema import store
from picat.schema.frames import Choice
from picat.schema.query import Filters
from picat.timelapse.encode import Size, VideoFormat
from picat.timelapse.jobs import Busy, Jobs, OverLimit, Status
from picat.timelapse.settings import Limits

from ..factories import make_app, picture
from .conftest import decoded_codes

START = 1_760_000_000.0


def _wait(jobs: Jobs, job_id: str, until, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        if until(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} is still {jobs.get(job_id)}")


def test_200_frames_decode_in_capture_order_at_the_chosen_rate(jobs, save_pictures):
    order = list(range(200))
    random.Random(200).shuffle(order)  # written out of order; capture time decides
    save_pictures([START + 10 * n for n in order], order)
    video = VideoFormat(fps=12, size=Size.SOURCE)

    job = jobs.start(Filters(), Choice(), video, params="", description="all")
    assert job.planned == 200 and job.running
    job = _wait(jobs, job.id, lambda j: not j.running)
    assert job.status is Status.DONE, job.error
    assert (job.done, job.percent, job.duration) == (200, 100, 200 / 12)

    codes, rate = decoded_codes(jobs.video_path(job.id))
    assert rate == 12
    assert codes == list(range(200))
    assert job.bytes == jobs.video_path(job.id).stat().st_size
    assert [j.id for j in jobs.list()] == [job.id]


def test_cancel_stops_and_removes_the_partial_file(
    r, catalogue, save_pictures, tmp_path, forget_jobs
):
    # Full HD frames from 1640x1232 pictures: slow enough to cancel half-way.
    save_pictures([START + n for n in range(150)], [n for n in range(150)], size=(1640, 1232))
    jobs = Jobs(r, catalogue, tmp_path / "videos", Limits(), lease=1.0)
    job = jobs.start(Filters(), Choice(), VideoFormat(), params="", description="")
    with pytest.raises(Busy):
        jobs.start(Filters(), Choice(), VideoFormat(), params="", description="")
    part = tmp_path / "videos" / f"{job.id}.mp4.part"
    _wait(jobs, job.id, lambda j: part.exists() and j.running)  # written once x264 emits
    jobs.cancel(job.id)
    job = _wait(jobs, job.id, lambda j: not j.running, timeout=10)
    assert job.status is Status.CANCELLED and job.done < 150
    assert list((tmp_path / "videos").iterdir()) == []
    assert r.ttl(f"{jobs.prefix}job:{job.id}") > 0  # cancelled jobs expire too


WORKER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from picat.schema import Catalogue, connect
    from picat.schema.frames import Choice
    from picat.schema.query import Filters
    from picat.timelapse.encode import VideoFormat
    from picat.timelapse.jobs import Jobs
    from picat.timelapse.settings import Limits

    url, prefix, index, folder = sys.argv[1:]
    jobs = Jobs(connect(url), Catalogue(prefix, index), Path(folder), Limits(), lease=1.0)
    job = jobs.start(Filters(), Choice(), VideoFormat(), params="", description="")
    print(job.id, flush=True)
    time.sleep(600)
""")


def test_a_job_whose_process_was_killed_shows_failed_after_restart(
    r, redis_url, catalogue, save_pictures, tmp_path: Path, forget_jobs
):
    save_pictures([START + n for n in range(150)], list(range(150)), size=(1640, 1232))
    folder = tmp_path / "videos"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, redis_url, catalogue.prefix, catalogue.index, str(folder)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        job_id = worker.stdout.readline().strip()
        watcher = Jobs(r, catalogue, folder, Limits(), lease=1.0)
        part = folder / f"{job_id}.mp4.part"
        _wait(watcher, job_id, lambda j: part.exists() and j.running, timeout=30)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    assert part.exists()
    time.sleep(1.2)  # the lease lapses
    # A gallery started afterwards (a new process, its own default lease) shows it failed.
    gallery = make_app(redis_url, catalogue, PICAT_TIMELAPSE_DIR=folder).test_client()
    job = gallery.get(f"/api/timelapses/{job_id}").get_json()
    assert job["status"] == "failed" and "interrupted" in job["error"]
    page = gallery.get(f"/timelapses/{job_id}").get_data(as_text=True)
    assert "Failed" in page and "Retry" in page and "hx-trigger" not in page
    assert list(folder.iterdir()) == []  # its partial file is gone


def test_limits_refuse_with_a_message(r, catalogue, save_pictures, tmp_path, forget_jobs):
    save_pictures([START + n for n in range(5)], list(range(5)))
    jobs = Jobs(r, catalogue, tmp_path, Limits(max_frames=4), lease=1.0)
    with pytest.raises(OverLimit, match="more than 4 frames"):
        jobs.start(Filters(), Choice(), VideoFormat(), params="", description="")
    with pytest.raises(OverLimit, match="No picture matches"):
        jobs.start(Filters(start=START + 100), Choice(), VideoFormat(), params="", description="")

    small = Jobs(r, catalogue, tmp_path, Limits(max_bytes=100), lease=1.0)
    job = small.start(Filters(), Choice(), VideoFormat(size=Size.SOURCE), params="",
                      description="")
    job = _wait(small, job.id, lambda j: not j.running)
    assert job.status is Status.FAILED and "passed" in job.error
    assert list(tmp_path.iterdir()) == []


def test_a_picture_that_does_not_decode_is_left_out(jobs, save_pictures, r, catalogue):
    save_pictures([START, START + 20], [1, 3])
    broken = picture(START + 10, camera="garden")
    store.save(r, broken, b"\xff\xd8 not a picture", None, catalogue)
    job = jobs.start(Filters(), Choice(), VideoFormat(fps=2, size=Size.SOURCE), params="",
                     description="")
    assert job.planned == 3
    job = _wait(jobs, job.id, lambda j: not j.running)
    assert (job.status, job.done, job.skipped) == (Status.DONE, 2, 1)
    assert decoded_codes(jobs.video_path(job.id)) == ([1, 3], 2.0)


def test_frames_are_read_from_the_blob_store(r, catalogue, tmp_path, forget_jobs):
    from dataclasses import replace

    from picat.schema.originals import FileStore

    from ..factories import jpeg
    from .conftest import code_colour

    with_files = replace(catalogue, originals=FileStore(tmp_path / "originals"))
    for n in range(4):
        image = picture(START + n, camera="garden")
        store.save(r, image, jpeg(code_colour(3 - n), quality=95), None, with_files)
    assert not r.hexists(catalogue.key(image.pk), "image_data")  # the original is a file
    jobs = Jobs(r, with_files, tmp_path / "videos", Limits(), lease=1.0)
    job = jobs.start(Filters(), Choice(), VideoFormat(fps=4, size=Size.SOURCE), params="",
                     description="")
    job = _wait(jobs, job.id, lambda j: not j.running)
    assert job.status is Status.DONE, job.error
    assert decoded_codes(jobs.video_path(job.id)) == ([3, 2, 1, 0], 4.0)
