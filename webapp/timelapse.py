"""Timelapses from the current view: the form, the progress, the videos, and their JSON twins.

The gallery's toolbar links to `/timelapse/new` with the view's parameters; the
form there says how many frames the choice yields (`/timelapse/plan`, asked as
the choice changes) before anything starts. Starting is a POST, so it needs the
curator role like every change (see `auth.py`): viewers and API tokens can watch,
play and download timelapses but not start, cancel or delete one, since a video
keeps up to two cores busy for minutes. The work runs in `picat.timelapse.jobs`,
outside the request; the job page polls a fragment every second until it ends.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.datastructures import MultiDict

from picat.schema.frames import Choice, count_frames, frozen, parse_choice
from picat.schema.query import QueryError
from picat.timelapse.encode import DEFAULT_FPS, MAX_FPS, Fit, Size, VideoFormat
from picat.timelapse.jobs import Busy, Job, Jobs, OverLimit
from picat.timelapse.settings import load_limits

from .backend import backend
from .error_pages import error_response
from .fragments import fragment
from .params import View, parse_view

bp = Blueprint("timelapse", __name__)

EXTENSION = "picat.timelapse"
FOLDER_SETTING = "PICAT_TIMELAPSE_DIR"
_FPS = re.compile(r"[0-9]{1,2}")
_lock = threading.Lock()


def install(app: Flask) -> None:
    """Read the limits now (a bad value stops `picat web`); the jobs start on first use."""
    app.config.setdefault("PICAT_TIMELAPSE_LIMITS", load_limits())
    app.jinja_env.filters["file_size"] = file_size
    app.register_blueprint(bp)


def file_size(size: int) -> str:
    """`840 KB`, `12.3 MB`."""
    return f"{size / 1000:,.0f} KB" if size < 1_000_000 else f"{size / 1e6:,.1f} MB"


def jobs() -> Jobs:
    """This process's jobs (made on first use: that sweep also marks dead jobs failed).

    Only an app given a folder for videos (`PICAT_TIMELAPSE_DIR`, which `picat web` and
    `picat up` set to `$PICAT_DATA_DIR/timelapses`) makes timelapses.
    """
    app = current_app
    with _lock:
        if EXTENSION not in app.extensions:
            folder = app.config.get(FOLDER_SETTING)
            if not folder:
                abort(503, "Timelapses are off: this gallery was started without a folder "
                           "for videos.")
            db = backend()
            app.extensions[EXTENSION] = Jobs(
                db.redis, db.catalogue, Path(folder), app.config["PICAT_TIMELAPSE_LIMITS"]
            )
        return app.extensions[EXTENSION]


def parse_video(values: MultiDict[str, str]) -> VideoFormat:
    """`fps` (1-60, default 24), `size` (720p, 1080p, source), `fit` (letterbox, crop),
    `caption=1`."""
    raw_fps = (values.get("fps") or "").strip()
    if raw_fps and not (_FPS.fullmatch(raw_fps) and 1 <= int(raw_fps) <= MAX_FPS):
        raise QueryError("fps", f"{raw_fps[:20]!r} is not a frame rate: use 1 to {MAX_FPS}")
    try:
        size = Size((values.get("size") or Size.FULL_HD).strip())
    except ValueError:
        raise QueryError("size", "use 720p, 1080p or source") from None
    try:
        fit = Fit((values.get("fit") or Fit.LETTERBOX).strip())
    except ValueError:
        raise QueryError("fit", "use letterbox or crop") from None
    return VideoFormat(
        fps=int(raw_fps) if raw_fps else DEFAULT_FPS, size=size, fit=fit,
        caption=values.get("caption") == "1",
    )


def _video_params(video: VideoFormat) -> dict[str, str]:
    params = {"fps": str(video.fps), "size": video.size.value, "fit": video.fit.value}
    if video.caption:
        params["caption"] = "1"
    return params


def _request(values: MultiDict[str, str]) -> tuple[View, Choice, VideoFormat]:
    return parse_view(values), parse_choice(values), parse_video(values)


def _description(view: View, choice: Choice) -> str:
    taken = view.describe()
    return f"Pictures taken {', '.join(taken) if taken else 'at any time'}; {choice.describe()}."


def _start(values: MultiDict[str, str]) -> Job:
    view, choice, video = _request(values)
    params = urlencode({**view.params(), **choice.to_params(), **_video_params(video)})
    return jobs().start(
        view.filters, choice, video, params=params, description=_description(view, choice)
    )


def _job_or_404(job_id: str) -> Job:
    job = jobs().get(job_id)
    if job is None:
        abort(404, "There is no such timelapse (finished ones expire).")
    return job


def _plan(values: MultiDict[str, str]) -> dict[str, object]:
    view, choice, video = _request(values)
    db = backend()
    limit = jobs().limits.max_frames
    frames = count_frames(
        db.redis, frozen(view.filters, time.time()), choice, stop_after=limit,
        catalogue=db.catalogue,
    )
    return {
        "frames": min(frames, limit), "too_many": frames > limit, "max_frames": limit,
        "fps": video.fps, "seconds": round(min(frames, limit) / video.fps, 3),
        "description": _description(view, choice),
    }


# Pages ----------------------------------------------------------------------------------


@bp.get("/timelapse/new")
def new() -> Response:
    """The form: the view's filters, the choice of frames, the video's format."""
    view, choice, video = _request(request.args)
    return Response(render_template(
        "timelapse_new.html", view=view, choice=choice, video=video, message="",
        describe=_description(view, choice),
    ))


@bp.get("/timelapse/plan")
@fragment("timelapse-plan", page="timelapse.new")
def plan() -> Response:
    """How many frames the form's choice yields (a fragment, swapped in as it changes)."""
    try:
        return Response(render_template("_timelapse_plan.html", plan=_plan(request.args)))
    except QueryError as exc:
        return Response(render_template("_timelapse_plan.html", plan=None, error=exc.message))


@bp.post("/timelapses")
def create() -> Response:
    """Start a timelapse and show its progress; a refusal comes back on the form."""
    try:
        job = _start(request.form)
    except (Busy, OverLimit, QueryError) as exc:
        view, choice, video = _request(request.form)
        message = exc.message if isinstance(exc, QueryError) else str(exc)
        html = render_template(
            "timelapse_new.html", view=view, choice=choice, video=video, message=message,
            describe=_description(view, choice),
        )
        return Response(html, status=409 if isinstance(exc, Busy) else 400)
    return redirect(url_for("timelapse.show", job_id=job.id), 303)


@bp.get("/timelapses")
def index() -> Response:
    """Every timelapse not yet expired, newest first."""
    return Response(render_template("timelapses.html", jobs=jobs().list()))


@bp.get("/timelapses/<job_id>")
def show(job_id: str) -> Response:
    """One timelapse: its progress while it runs, then the video."""
    job = _job_or_404(job_id)
    return Response(render_template("timelapse.html", job=job))


@bp.get("/timelapses/<job_id>/progress")
@fragment("timelapse-progress", page="timelapse.show")
def progress(job_id: str) -> Response:
    """The progress fragment; it asks for itself again every second while the job runs."""
    return Response(render_template("_timelapse_progress.html", job=_job_or_404(job_id)))


@bp.post("/timelapses/<job_id>/cancel")
def cancel(job_id: str) -> Response:
    _job_or_404(job_id)
    jobs().cancel(job_id)
    return redirect(url_for("timelapse.show", job_id=job_id), 303)


@bp.post("/timelapses/<job_id>/retry")
def retry(job_id: str) -> Response:
    """Start the same timelapse again (after a failure, a cancel, or to refresh it)."""
    old = _job_or_404(job_id)
    try:
        job = _start(MultiDict(parse_qsl(old.params)))
    except (Busy, OverLimit) as exc:
        return error_response(409 if isinstance(exc, Busy) else 400, str(exc))
    return redirect(url_for("timelapse.show", job_id=job.id), 303)


@bp.post("/timelapses/<job_id>/delete")
def delete(job_id: str) -> Response:
    _job_or_404(job_id)
    if not jobs().delete(job_id):
        return error_response(409, "This timelapse is still being made: cancel it first.")
    return redirect(url_for("timelapse.index"), 303)


@bp.get("/timelapses/<job_id>.mp4")
@bp.get("/api/timelapses/<job_id>/video")
def video(job_id: str) -> Response:
    """The video (range requests answered, so a `<video>` can seek); `download=1` saves it."""
    job = _job_or_404(job_id)
    path = jobs().video_path(job.id)
    if job.status != "done" or not path.is_file():
        abort(404, "This timelapse has no video (yet).")
    return send_file(
        path, mimetype="video/mp4", conditional=True, max_age=0,
        as_attachment=request.args.get("download") == "1",
        download_name=f"timelapse-{job.id}.mp4",
    )


# JSON -----------------------------------------------------------------------------------


def _json(job: Job) -> dict[str, object]:
    data = job.to_json()
    data["url"] = url_for("timelapse.show", job_id=job.id)
    data["video_url"] = url_for("timelapse.video", job_id=job.id) if job.status == "done" else None
    return data


@bp.get("/api/timelapses/plan")
def api_plan() -> Response:
    """How many frames these parameters yield, without starting anything."""
    return jsonify(_plan(request.args))


@bp.post("/api/timelapses")
def api_create() -> tuple[Response, int]:
    """Start one: the gallery's filters plus `pick`, `interval`/`at`, `fps`, `size`, `fit`,
    `caption`, as form fields or in the query string. 202 and the job, 400 or 409."""
    try:
        job = _start(request.values)
    except Busy as exc:
        return jsonify(error=str(exc)), 409
    except OverLimit as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(_json(job)), 202


@bp.get("/api/timelapses")
def api_list() -> Response:
    return jsonify(timelapses=[_json(job) for job in jobs().list()])


@bp.get("/api/timelapses/<job_id>")
def api_show(job_id: str) -> Response:
    return jsonify(_json(_job_or_404(job_id)))


@bp.post("/api/timelapses/<job_id>/cancel")
def api_cancel(job_id: str) -> Response:
    _job_or_404(job_id)
    jobs().cancel(job_id)
    return jsonify(_json(_job_or_404(job_id)))
