"""A gallery request walks few of our files: the web path is not spread thin (issue 18).

`GET /?lux_min=100&sort=brightest` ran code in 23 of the project's Python files
(10 in webapp/) before the display helpers became one module and the page and its
JSON twin one handler; it runs in 19 now (7 in webapp/). The bounds below fail a
change that spreads it again; lower them when the path gets shorter.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import picat
import picat.capture
import picat.schema
import picat.timelapse
import picat.webapp

MAX_FILES = 19
MAX_WEBAPP_FILES = 7
FOLDERS = {
    name: str(Path(module.__file__).resolve().parent) + os.sep
    for name, module in (
        ("picat", picat), ("schema", picat.schema), ("webapp", picat.webapp),
        ("capture", picat.capture), ("timelapse", picat.timelapse),
    )
}


def _files_run(call: Callable[[], object]) -> set[str]:
    """The project's Python files whose code runs during `call()`."""
    seen_code: set[str] = set()

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            seen_code.add(frame.f_code.co_filename)

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    real = {os.path.realpath(name) for name in seen_code if name.endswith(".py")}
    return {name for name in real if name.startswith(tuple(FOLDERS.values()))}


def test_the_gallery_page_runs_code_in_few_files(client, add_picture):
    for i in range(40):
        add_picture(600 * i, lux=float(i * 15))
    url = "/?lux_min=100&sort=brightest"
    assert client.get(url).status_code == 200  # imports, templates and caches warm up
    replies = []
    files = _files_run(lambda: replies.append(client.get(url)))
    assert replies[0].status_code == 200 and replies[0].get_data().count(b'class="card') == 24
    webapp = {name for name in files if name.startswith(FOLDERS["webapp"])}
    assert any(name.endswith("gallery.py") for name in webapp)  # the tracing saw the view
    shown = sorted(files)
    assert len(files) <= MAX_FILES, shown
    assert len(webapp) <= MAX_WEBAPP_FILES, shown
