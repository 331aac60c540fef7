"""`picat timelapse [filters] --out FILE`: the gallery's timelapse, made in the foreground.

Takes the gallery's filters as options (`--from 2026-11-01 --tod-from 11:00
--camera garden`, times in `--tz`, UTC by default), says how many frames the
choice yields, then encodes with a progress bar. The limits are the gallery's
(`PICAT_TIMELAPSE_MAX_FRAMES`, `PICAT_TIMELAPSE_MAX_MB`); the file is written
beside `--out` and renamed into place only when complete.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from picat.settings import Settings

from .encode import DEFAULT_FPS, MAX_FPS, Fit, Size, VideoFormat

FILTER_OPTIONS = (
    ("from", "--from", "taken at or after (ISO 8601 or Unix seconds)"),
    ("to", "--to", "taken at or before"),
    ("tod_from", "--tod-from", "every day from HH:MM (camera time)"),
    ("tod_to", "--tod-to", "every day until HH:MM"),
    ("lux_min", "--lux-min", "at least this many lux"),
    ("lux_max", "--lux-max", "at most this many lux"),
    ("camera", "--camera", "only this camera"),
    ("tz", "--tz", "time zone of --from/--to without an offset (default UTC)"),
)


def _fps(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_FPS:
        raise ValueError(text)
    return value


def _zone(name: str) -> tzinfo:
    from picat.schema.query import QueryError

    if not name or name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise QueryError("tz", f"{name[:40]!r} is not a time zone such as Europe/Berlin") from None


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from picat.schema import DEFAULT_CATALOGUE, connect
    from picat.schema.frames import count_frames, frozen, parse_choice
    from picat.schema.query import QueryError, parse_filters

    from .encode import Stopped, TooLarge
    from .make import NoFrames, Progress, TooManyFrames, make
    from .settings import load_limits

    limits = load_limits()
    params = {name: getattr(args, name) or "" for name, _, _ in FILTER_OPTIONS}
    params.update(pick=args.pick, interval=args.interval or "", at=args.at or "")
    try:
        filters = frozen(parse_filters(params, _zone(params["tz"])), time.time())
        choice = parse_choice(params)
    except QueryError as exc:
        print(f"picat timelapse: --{exc.field.replace('_', '-')}: {exc.message}", file=sys.stderr)
        return 2
    video = VideoFormat(fps=args.fps, size=Size(args.size), fit=Fit(args.fit),
                        caption=args.caption)
    r = connect(settings.effective_redis_url)
    planned = count_frames(r, filters, choice, stop_after=limits.max_frames,
                           catalogue=DEFAULT_CATALOGUE)
    if planned == 0:
        print("picat timelapse: no picture matches: nothing to make", file=sys.stderr)
        return 1
    if planned > limits.max_frames:
        print(f"picat timelapse: more than {limits.max_frames:,} frames "
              "(PICAT_TIMELAPSE_MAX_FRAMES): choose --pick interval or daily, or fewer days",
              file=sys.stderr)
        return 1
    print(f"{planned:,} frames ({choice.describe()}): {planned / video.fps:.1f} s at "
          f"{video.fps} fps")
    out = Path(args.out)
    part = out.with_name(out.name + ".part")
    bar = tqdm(total=planned, unit="frame", disable=None)
    shown = 0

    def report(progress: Progress) -> None:
        nonlocal shown
        bar.update(progress.done - shown)
        shown = progress.done

    try:
        progress = make(r, DEFAULT_CATALOGUE, filters, choice, video, part, planned=planned,
                        max_frames=limits.max_frames, max_bytes=limits.max_bytes, report=report)
    except (TooLarge, TooManyFrames, NoFrames, Stopped) as exc:
        part.unlink(missing_ok=True)
        print(f"picat timelapse: {exc}", file=sys.stderr)
        return 1
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    part.replace(out)
    print(f"{out}: {progress.done:,} frames, {progress.done / video.fps:.1f} s, "
          f"{out.stat().st_size / 1e6:.1f} MB ({progress.fps:.1f} frames a second)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `picat timelapse`."""
    cmd = sub.add_parser("timelapse", help="make an H.264 MP4 timelapse of the pictures a "
                         "gallery view matches")
    for name, flag, text in FILTER_OPTIONS:
        cmd.add_argument(flag, dest=name, help=text)
    cmd.add_argument("--pick", choices=("every", "interval", "daily"), default="every",
                     help="every picture, at most one per --interval, or one a day closest "
                     "to --at")
    cmd.add_argument("--interval", help="e.g. 30s, 10m, 2h, 1d (with --pick interval)")
    cmd.add_argument("--at", help="HH:MM, camera time (with --pick daily)")
    cmd.add_argument("--fps", type=_fps, default=DEFAULT_FPS, help=f"1-{MAX_FPS}, default 24")
    cmd.add_argument("--size", choices=[s.value for s in Size], default=Size.FULL_HD.value)
    cmd.add_argument("--fit", choices=[f.value for f in Fit], default=Fit.LETTERBOX.value,
                     help="pictures of another shape: letterbox (default) or crop")
    cmd.add_argument("--caption", action="store_true", help="each frame's date and time")
    cmd.add_argument("--out", required=True, help="the .mp4 file to write")
    cmd.set_defaults(func=_run)
