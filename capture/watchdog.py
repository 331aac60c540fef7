"""systemd's watchdog for `picat capture`: pings only while the camera is not stuck.

Every camera call is bounded (CAMERA_TIMEOUT), so a stall normally ends the process
itself. The watchdog is the net under that: a thread sends `WATCHDOG=1` every third
of `WatchdogSec` as long as no camera call has lasted longer than `WatchdogSec`.
When one has, pings stop and systemd kills and restarts the service. Waiting for a
trigger (an hour between pictures, a quiet PIR sensor) is not a stall.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from picat.sdnotify import notify

from .frame import Camera, Frame

log = logging.getLogger("picat.capture")


class WatchedCamera:
    """A camera whose calls are timed, so a stuck call can be told from a long wait."""

    def __init__(self, camera: Camera) -> None:
        self.camera = camera
        self._since: float | None = None

    def stuck_for(self) -> float:
        """Seconds the current camera call has lasted (0 when none is running)."""
        since = self._since
        return 0.0 if since is None else time.monotonic() - since

    def capture(self) -> Frame:
        self._since = time.monotonic()
        try:
            return self.camera.capture()
        finally:
            self._since = None

    def preview(self) -> np.ndarray:
        self._since = time.monotonic()
        try:
            return self.camera.preview()
        finally:
            self._since = None

    def close(self) -> None:
        self.camera.close()


def keep_alive(camera: WatchedCamera, period: float, stop: threading.Event) -> threading.Thread:
    """Start the thread that pings systemd every period / 3 while `camera` is not stuck."""

    def ping() -> None:
        silent = False
        while not stop.wait(period / 3):
            stuck = camera.stuck_for()
            if stuck < period:
                notify("WATCHDOG=1")
                silent = False
            elif not silent:
                log.error("a camera call has lasted %.0f s: no more watchdog pings, so systemd "
                          "restarts the service", stuck)
                silent = True

    thread = threading.Thread(target=ping, name="picat-watchdog", daemon=True)
    thread.start()
    return thread
