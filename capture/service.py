"""The capture loop: trigger -> camera -> spool, with the uploader draining beside it.

`run_capture` is what `picat up` runs in a background thread; `picat capture`
builds the same `CaptureService` with the trigger and camera asked for. Stopping
(the `stop` event, SIGTERM, Ctrl-C) lets the capture in flight reach the spool,
then gives the uploader one last chance to write it before returning.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading

from picat.schema import Catalogue, Image, new_image_id
from picat.schema.clock import EARLIEST, LATEST, local_time_fields
from picat.settings import Settings

from .cameras import open_camera
from .durable import DurableWriter, connect_single
from .frame import Camera, Frame
from .settings import CaptureSettings, check_camera_id
from .spool import Capture, Spool, SpoolFull
from .triggers import IntervalTrigger, Trigger
from .uploader import Uploader

log = logging.getLogger("picat.capture")

FULL_SPOOL_RECHECK = 1.0


def build_capture(frame: Frame, camera_id: str, trigger: str, ttl: int) -> Capture:
    """The stored form of a frame: a fresh id from its capture time, TTL counted from then.

    A clock outside the valid capture times (`schema.clock`) is clamped into them and the
    picture flagged `clock_suspect`, so it is still kept and every view can show it.
    """
    taken = min(max(frame.timestamp, EARLIEST), LATEST - 1)
    suspect = taken != frame.timestamp or None
    if suspect:
        log.warning("camera clock says %.0f, outside the valid capture times: stored as %.0f "
                    "with clock_suspect", frame.timestamp, taken)
    time_of_day, utc_offset = local_time_fields(taken)
    image = Image(
        pk=new_image_id(taken),
        timestamp=taken,
        clock_suspect=suspect,
        lux=frame.lux,
        camera=camera_id,
        trigger=trigger,
        width=frame.width,
        height=frame.height,
        time_of_day=time_of_day,
        utc_offset=utc_offset,
        expires_at=taken + ttl if ttl > 0 else None,
        checksum=hashlib.sha256(frame.jpeg).hexdigest(),
        exposure_time=frame.exposure_time,
        analogue_gain=frame.analogue_gain,
        colour_temperature=frame.colour_temperature,
        lens_position=frame.lens_position,
    )
    return Capture(image, frame.jpeg, frame.thumbnail)


class CaptureService:
    def __init__(
        self,
        camera: Camera,
        trigger: Trigger,
        spool: Spool,
        uploader: Uploader,
        camera_id: str,
        ttl: int,
    ) -> None:
        self.camera = camera
        self.trigger = trigger
        self.spool = spool
        self.uploader = uploader
        self.camera_id = check_camera_id(camera_id)
        self.ttl = ttl
        self._last_size = 0
        self._paused = False

    def _announce_full(self) -> None:
        if not self._paused:
            log.error(
                "SPOOL FULL: %s holds %.1f MB (SPOOL_MAX_MB %.0f, %.1f MB free on its disk) "
                "and Redis has not taken it: capturing is stopped until it does; nothing "
                "was deleted",
                self.spool.directory, self.spool.used_bytes() / 2**20,
                self.spool.max_bytes / 2**20,
                shutil.disk_usage(self.spool.directory).free / 2**20,
            )
            self._paused = True

    def _room_for_next(self, stop: threading.Event) -> bool:
        """False (after a pause) while the spool is full: we stop capturing, never evict."""
        if self.spool.has_room(self._last_size):
            if self._paused:
                log.warning("spool has room again: capturing resumed")
                self._paused = False
            return True
        self._announce_full()
        stop.wait(FULL_SPOOL_RECHECK)
        return False

    def capture_one(self) -> None:
        """Take, describe and spool one picture (dropped, loudly, if the spool had no room)."""
        capture = build_capture(self.camera.capture(), self.camera_id, self.trigger.kind, self.ttl)
        self._last_size = len(capture.image_data) + len(capture.thumbnail or b"")
        try:
            self.spool.put(capture)
        except SpoolFull as exc:
            log.error("picture %s taken but not kept: %s", capture.image.pk, exc)
            self._announce_full()
            return
        log.debug("captured %s at %.3f", capture.image.pk, capture.image.timestamp)
        self.uploader.wake.set()

    def run(self, stop: threading.Event) -> bool:
        """Capture until the trigger ends or `stop` is set; True when nothing is left spooled."""
        finish = threading.Event()
        uploading = threading.Thread(
            target=self.uploader.run, args=(finish,), name="picat-uploader", daemon=True
        )
        uploading.start()
        try:
            while self.trigger.wait(stop):
                if self._room_for_next(stop):
                    self.capture_one()
        finally:
            finish.set()
            self.uploader.wake.set()
            uploading.join()
            self.trigger.close()
            self.spool.close()
        return not self.spool.pending()


def make_service(
    settings: Settings,
    capture_settings: CaptureSettings,
    camera: Camera,
    trigger: Trigger,
    catalogue: Catalogue | None = None,
) -> CaptureService:
    """Wire a service to Redis, the spool and the image store from the settings."""
    catalogue = catalogue or settings.catalogue()
    spool = Spool(capture_settings.spool_dir, capture_settings.spool_max_bytes)
    writer = DurableWriter(connect_single(settings.effective_redis_url), catalogue)
    return CaptureService(
        camera, trigger, spool, Uploader(spool, writer, catalogue),
        capture_settings.camera_id, capture_settings.image_ttl,
    )


def run_capture(
    settings: Settings,
    capture_settings: CaptureSettings,
    stop: threading.Event,
    camera: str = "auto",
    catalogue: Catalogue | None = None,
) -> None:
    """Capture on the interval trigger until `stop` is set; spools through Redis outages."""
    source = open_camera(camera, capture_settings)
    try:
        trigger = IntervalTrigger(capture_settings.capture_interval)
        make_service(settings, capture_settings, source, trigger, catalogue).run(stop)
    finally:
        source.close()
