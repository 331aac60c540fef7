"""Timelapse routes: plan, start, progress, video (with ranges), the roles, the limits."""

from __future__ import annotations

import time

import pytest

from picat.passwords import hash_password
from picat.timelapse.settings import Limits
from picat.webapp.auth import Auth

from ..factories import jpeg, make_app
from ..forms import csrf_from, log_in


@pytest.fixture
def app(redis_url, catalogue, tmp_path, forget_jobs):
    return make_app(
        redis_url, catalogue,
        PICAT_TIMELAPSE_DIR=tmp_path / "videos", PICAT_TIMELAPSE_LIMITS=Limits(max_frames=60),
    )


def _token(client) -> str:
    html = client.get("/timelapse/new").get_data(as_text=True)
    return csrf_from(html)


def _finished(client, job_id: str) -> dict:
    for _ in range(400):
        job = client.get(f"/api/timelapses/{job_id}").get_json()
        if job["status"] != "running":
            return job
        time.sleep(0.05)
    raise AssertionError(job)


def test_plan_start_watch_and_fetch(client, add_picture):
    for i in range(20):
        add_picture(i * 600, lux=500.0 if i % 2 else 1.0, data=jpeg((10 * i, 0, 0)))
    plan = client.get("/api/timelapses/plan?lux_min=100&pick=interval&interval=20m&fps=5")
    assert plan.get_json() | {"description": ""} == {
        "frames": 10, "too_many": False, "max_frames": 60, "fps": 5, "seconds": 2.0,
        "description": "",
    }
    fragment = client.get(
        "/timelapse/plan?lux_min=100&pick=daily&at=25:00", headers={"HX-Request": "true"}
    )
    assert "not a time of day" in fragment.get_data(as_text=True)

    token = _token(client)
    assert client.post("/api/timelapses?lux_min=100").status_code == 403  # no CSRF token
    started = client.post(
        "/api/timelapses", data={"lux_min": "100", "fps": "5", "size": "source",
                                 "caption": "1", "csrf_token": token},
    )
    assert started.status_code == 202, started.get_json()
    job = _finished(client, started.get_json()["id"])
    assert job["status"] == "done" and job["frames_done"] == 10 and job["duration"] == 2.0
    assert job["percent"] == 100 and "with at least 100 lx" in job["description"]

    video = client.get(job["video_url"])
    assert video.status_code == 200 and video.mimetype == "video/mp4"
    assert video.data[4:8] == b"ftyp" and len(video.data) == job["bytes"]
    assert video.data.index(b"moov") < video.data.index(b"mdat")  # faststart: index first
    part = client.get(job["video_url"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.data) == 100
    download = client.get(job["video_url"] + "?download=1")
    assert "attachment" in download.headers["Content-Disposition"]

    page = client.get(job["url"]).get_data(as_text=True)
    assert "<video" in page and "100 %" in page and "hx-trigger" not in page
    listing = client.get("/timelapses").get_data(as_text=True)
    assert job["id"] in listing and "10 frames" in listing
    assert [j["id"] for j in client.get("/api/timelapses").get_json()["timelapses"]] == [job["id"]]

    again = client.post(f"/timelapses/{job['id']}/retry", data={"csrf_token": token})
    assert again.status_code == 303
    retried = _finished(client, again.headers["Location"].rsplit("/", 1)[1])
    assert retried["id"] != job["id"] and retried["params"] == job["params"]
    assert retried["frames_done"] == 10 and retried["status"] == "done"
    deleted = client.post(f"/timelapses/{job['id']}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303 and client.get(job["video_url"]).status_code == 404


def test_limits_and_bad_input_are_clear(client, add_picture):
    for i in range(61):
        add_picture(i * 60)
    token = _token(client)
    over = client.post("/api/timelapses", data={"csrf_token": token})
    assert over.status_code == 400 and "more than 60 frames" in over.get_json()["error"]
    form = client.post("/timelapses", data={"csrf_token": token})
    assert form.status_code == 400 and "PICAT_TIMELAPSE_MAX_FRAMES" in form.get_data(as_text=True)
    bad = client.post("/api/timelapses", data={"csrf_token": token, "fps": "500"})
    assert bad.status_code == 400 and "fps" in bad.get_json()["error"]
    assert client.get("/api/timelapses/0123456789abcdef").status_code == 404
    assert client.get("/timelapses/../etc").status_code == 404


def test_viewers_watch_but_do_not_start(redis_url, catalogue, tmp_path, add_picture):
    add_picture(0)
    access = Auth(hash_password("curator-password"), hash_password("viewer-password"))
    app = make_app(redis_url, catalogue, auth_settings=access, PICAT_TIMELAPSE_DIR=tmp_path)
    viewer = app.test_client()
    log_in(viewer, "viewer-password")
    assert viewer.get("/timelapses").status_code == 200
    page = viewer.get("/timelapse/new").get_data(as_text=True)
    assert "Only the curator can start" in page
    token = csrf_from(page)
    refused = viewer.post("/api/timelapses", data={"csrf_token": token})
    assert refused.status_code == 403 and "read-only" in refused.get_json()["error"]


def test_without_a_video_folder_timelapses_are_off(redis_url, catalogue):
    app = make_app(redis_url, catalogue)
    response = app.test_client().get("/api/timelapses")
    assert response.status_code == 503 and "Timelapses are off" in response.get_json()["error"]


def test_a_running_job_polls_and_cancels(client, add_picture):
    for i in range(60):  # full-size pictures to 1080p: long enough to watch and cancel
        add_picture(i * 60, data=jpeg((4 * i, 90, 90), (1640, 1232)))
    token = _token(client)
    started = client.post("/api/timelapses", data={"csrf_token": token}).get_json()
    fragment = client.get(f"/timelapses/{started['id']}/progress",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in fragment and "of 60 frames" in fragment
    assert client.post(f"/api/timelapses/{started['id']}/cancel",
                       headers={"X-CSRF-Token": token}).status_code == 200
    job = _finished(client, started["id"])
    assert job["status"] == "cancelled" and job["video_url"] is None
    page = client.get(job["url"]).get_data(as_text=True)
    assert "Cancelled" in page and "Retry" in page
