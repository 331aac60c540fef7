"""The real camera: picamera2 on a Raspberry Pi, imported only when asked for.

One `captured_request()` yields the full-size frame (saved as JPEG), the lores
YUV420 stream (turned into the thumbnail without touching the big image) and the
metadata of that same exposure. Autofocus is set after `configure()`, because
`configure()` resets the controls. The sensor's `SensorTimestamp` counts from boot
(CLOCK_BOOTTIME), so it is moved onto the wall clock.

Every wait on the camera is bounded. picamera2 waits forever by default, and after
libcamera's "Camera frontend has timed out" (a loose ribbon cable, a brown-out)
no frame ever comes: a capture that would hang instead cancels picamera2's pending
jobs (`cancel_all_and_flush()`), closes the camera within a bound, and raises
`CameraStalled`, so the command exits non-zero and systemd restarts it.
"""

from __future__ import annotations

import concurrent.futures
import io
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image as PILImage

from .frame import Frame
from .imaging import make_thumbnail

log = logging.getLogger("picat.capture")

# libcamera's controls.AfModeEnum.Continuous and AfStateEnum; numbers avoid importing libcamera.
AF_MODE_CONTINUOUS = 2
AF_STATES_SETTLED = (2, 3)  # Focused, Failed

FRAME_TIMEOUT = 10.0
"""Seconds a capture may wait for its frame (CAMERA_TIMEOUT). A still at the longest
automatic exposure takes about a second; libcamera reports a stalled frontend sooner."""
CLOSE_TIMEOUT = 5.0
"""Seconds allowed to stop and close a camera that stalled, before giving up on it."""
FOCUS_TIMEOUT = 5.0
"""Seconds `--once` waits for continuous autofocus to report Focused (or Failed)."""

CAMERA_DEVICE = re.compile(r"/dev/(media|video)\d+")


class CameraUnavailable(RuntimeError):
    """picamera2 cannot be used on this machine: `cause`, and `fix`, what to do about it."""

    def __init__(self, cause: str, fix: str) -> None:
        super().__init__(f"{cause}. Fix: {fix}")
        self.cause = cause
        self.fix = fix


class CameraStalled(RuntimeError):
    """The camera stopped delivering frames; the process should exit and be restarted."""


SYSTEM_PICAMERA2 = (
    "install it from Raspberry Pi OS (`sudo apt install -y python3-picamera2`, never from "
    "PyPI) and make the venv see it (`python3 -m venv --system-site-packages .venv`), or "
    "use --camera simulated"
)


def import_picamera2() -> Any:
    """The `Picamera2` class, or CameraUnavailable naming the cause and the fix."""
    try:
        from picamera2 import Picamera2
    except ImportError as exc:
        raise CameraUnavailable(f"picamera2 cannot be imported ({exc})", SYSTEM_PICAMERA2) from exc
    except ValueError as exc:
        # apt's simplejpeg (imported by picamera2) built for numpy 1.x meeting numpy 2.x.
        raise CameraUnavailable(
            f"importing picamera2 failed: {exc}. numpy {np.__version__} "
            f"({Path(np.__file__).parent}) is not the numpy Raspberry Pi OS built picamera2 "
            "and simplejpeg against",
            "`.venv/bin/pip install -e '.[pi]'`, which keeps numpy below 2 on Bookworm "
            "(or `.venv/bin/pip install 'numpy<2'`)",
        ) from exc
    return Picamera2


def camera_holders(proc: Path = Path("/proc")) -> list[tuple[int, str, str]]:
    """Other processes with a camera device open: (pid, command name, device).

    Without root, only this user's processes can be seen; that is where a second
    `picat capture` or a forgotten `rpicam-hello` usually is."""
    found = []
    for fd_dir in proc.glob("[0-9]*/fd"):
        pid = int(fd_dir.parent.name)
        if pid == os.getpid():
            continue
        try:
            links = [os.readlink(fd) for fd in fd_dir.iterdir()]
            name = (fd_dir.parent / "comm").read_text().strip()
        except OSError:
            continue
        devices = sorted({link for link in links if CAMERA_DEVICE.fullmatch(link)})
        if devices:
            found.append((pid, name, devices[0]))
    return sorted(found)


def _causes(exc: BaseException) -> str:
    parts, seen = [], exc
    while seen is not None:
        parts.append(str(seen) or type(seen).__name__)
        seen = seen.__cause__ or seen.__context__
    return " <- ".join(parts)


def open_picamera2(proc: Path = Path("/proc")) -> Any:
    """Open camera 0, turning picamera2's errors into their cause and fix."""
    picamera2_class = import_picamera2()
    try:
        return picamera2_class()
    except IndexError as exc:
        # picamera2 indexes its (empty) list of cameras before opening one.
        raise CameraUnavailable(
            "no camera connected: libcamera lists no camera",
            "power off, reseat the ribbon cable (contacts facing the right way at both ends), "
            "check `rpicam-hello --list-cameras`, and keep camera_auto_detect=1 in "
            "/boot/firmware/config.txt",
        ) from exc
    except RuntimeError as exc:
        holders = camera_holders(proc)
        if holders:
            pid, name, device = holders[0]
            raise CameraUnavailable(
                f"camera busy in process {pid} ({name}, holding {device}): only one process "
                "can use the camera",
                f"stop it (`kill {pid}`, or `systemctl --user stop picat-capture` if it is the "
                "service), then try again",
            ) from exc
        raise CameraUnavailable(
            f"the camera cannot be opened ({_causes(exc)})",
            "if another process uses it, `sudo fuser -v /dev/media* /dev/video*` names it; "
            "otherwise check the cable and `rpicam-hello --list-cameras`",
        ) from exc


def full_field_size(sensor_modes: list[dict[str, Any]]) -> tuple[int, int] | None:
    """The smallest sensor mode that still sees the sensor's whole field of view.

    That is the binned mode (Camera Module 3, imx708: 2304x1296, 16:9; v2, imx219:
    1640x1232 and HQ, imx477: 2028x1520, both 4:3): the full picture at a quarter of
    the pixels. Cropped modes (imx219's 1920x1080) are skipped. None without mode data."""
    modes = [m for m in sensor_modes if m.get("size") and m.get("crop_limits")]
    if not modes:
        return None
    widest = max(m["crop_limits"][2] * m["crop_limits"][3] for m in modes)
    full = [m for m in modes if m["crop_limits"][2] * m["crop_limits"][3] == widest]
    return tuple(min(full, key=lambda m: m["size"][0] * m["size"][1])["size"])  # type: ignore[return-value]


def lores_size(main: tuple[int, int], long_edge: int) -> tuple[int, int]:
    """The lores stream's size: the main stream's aspect, long edge at most `long_edge`, even."""
    scale = min(1.0, long_edge / max(main))
    return tuple(max(2, int(side * scale) // 2 * 2) for side in main)  # type: ignore[return-value]


def wall_clock_time(metadata: Mapping[str, Any]) -> float:
    """When the frame was exposed, in Unix seconds, from the boot-relative sensor timestamp."""
    sensor_ns = metadata.get("SensorTimestamp")
    now = time.time()
    if not sensor_ns:
        return now
    age = time.clock_gettime(time.CLOCK_BOOTTIME) - sensor_ns / 1e9
    return now - max(0.0, age)


def _optional(metadata: Mapping[str, Any], key: str, kind: Callable[[Any], Any]) -> Any:
    value = metadata.get(key)
    return None if value is None else kind(value)


class Picamera2Camera:
    """The `Camera` interface over a `Picamera2` object (or a stand-in with the same methods).

    `resolution` None means the sensor's full-field mode (`full_field_size`).
    `wait_for_focus` makes the first picture wait, at most FOCUS_TIMEOUT, until
    continuous autofocus has settled: `--once` takes its only picture at once,
    before the lens has moved."""

    def __init__(
        self,
        resolution: tuple[int, int] | None,
        thumbnail_size: int,
        jpeg_quality: int,
        autofocus: bool,
        open_camera: Callable[[], Any] = open_picamera2,
        wait_for_focus: bool = False,
        frame_timeout: float = FRAME_TIMEOUT,
    ) -> None:
        self.thumbnail_size = thumbnail_size
        self.frame_timeout = frame_timeout
        self._closed = False
        self.picam2 = open_camera()
        size = resolution or full_field_size(self.picam2.sensor_modes)
        size = size or tuple(self.picam2.sensor_resolution)
        config = self.picam2.create_still_configuration(
            main={"size": size},
            lores={"size": lores_size(size, thumbnail_size), "format": "YUV420"},
        )
        self.picam2.configure(config)
        self.picam2.options["quality"] = jpeg_quality
        self.autofocus = autofocus and "AfMode" in self.picam2.camera_controls
        if self.autofocus:
            self.picam2.set_controls({"AfMode": AF_MODE_CONTINUOUS})
        self._focus_pending = self.autofocus and wait_for_focus
        self.picam2.start()
        model = self.picam2.camera_properties.get("Model", "camera")
        log.info("picamera2: %s, %dx%d%s", model, *self.size,
                 ", continuous autofocus" if self.autofocus else "")

    @property
    def size(self) -> tuple[int, int]:
        """The main stream's size as configured (libcamera may have adjusted the request)."""
        return tuple(self.picam2.camera_config["main"]["size"])  # type: ignore[return-value]

    def _lores(self) -> tuple[int, int]:
        return tuple(self.picam2.camera_config["lores"]["size"])  # type: ignore[return-value]

    def _stalled(self, what: str, exc: BaseException) -> CameraStalled:
        """Give up on a camera that stopped delivering frames: cancel, flush, close."""
        log.error("camera stalled: no %s within %g s; cancelling and closing it", what,
                  self.frame_timeout)
        self.picam2.cancel_all_and_flush()
        self.close()
        return CameraStalled(
            f"the camera delivered no {what} within {self.frame_timeout:g} s (libcamera logs "
            "'Camera frontend has timed out' when the cable is loose or the power is short); "
            "exiting so the service restarts. If it keeps happening, reseat the ribbon cable "
            "and check the power supply"
        )

    def _settle_focus(self) -> None:
        self._focus_pending = False
        deadline = time.monotonic() + FOCUS_TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            try:
                metadata = self.picam2.capture_metadata(wait=min(left, self.frame_timeout))
            except (TimeoutError, concurrent.futures.CancelledError) as exc:
                raise self._stalled("frame", exc) from exc
            if metadata.get("AfState") in AF_STATES_SETTLED:
                return
        log.warning("autofocus did not settle within %.0f s: taking the picture anyway",
                    FOCUS_TIMEOUT)

    def capture(self) -> Frame:
        if self._focus_pending:
            self._settle_focus()
        jpeg = io.BytesIO()
        try:
            with self.picam2.captured_request(wait=self.frame_timeout) as request:
                request.save("main", jpeg, format="jpeg")
                lores = request.make_array("lores")
                metadata = request.get_metadata()
        except (TimeoutError, concurrent.futures.CancelledError) as exc:
            raise self._stalled("frame", exc) from exc
        width, height = self._lores()
        thumbnail = make_thumbnail(
            PILImage.fromarray(yuv420_to_rgb(lores, width, height)), self.thumbnail_size
        )
        data = jpeg.getvalue()
        with PILImage.open(io.BytesIO(data)) as decoded:
            size = decoded.size
        return Frame(
            jpeg=data,
            thumbnail=thumbnail,
            width=size[0],
            height=size[1],
            timestamp=wall_clock_time(metadata),
            lux=_optional(metadata, "Lux", float),
            exposure_time=_optional(metadata, "ExposureTime", int),
            analogue_gain=_optional(metadata, "AnalogueGain", float),
            colour_temperature=_optional(metadata, "ColourTemperature", int),
            lens_position=_optional(metadata, "LensPosition", float),
        )

    def preview(self) -> np.ndarray:
        width, height = self._lores()
        try:
            planes = self.picam2.capture_array("lores", wait=self.frame_timeout)
        except (TimeoutError, concurrent.futures.CancelledError) as exc:
            raise self._stalled("preview frame", exc) from exc
        return planes[:height, :width]

    def close(self) -> None:
        """Stop and close, within CLOSE_TIMEOUT even if the camera no longer answers."""
        if self._closed:
            return
        self._closed = True

        def stop_and_close() -> None:
            try:
                self.picam2.stop()
            finally:
                self.picam2.close()

        closing = threading.Thread(target=stop_and_close, name="picat-camera-close", daemon=True)
        closing.start()
        closing.join(CLOSE_TIMEOUT)
        if closing.is_alive():
            log.error("the camera did not close within %.0f s; leaving it to the process exit",
                      CLOSE_TIMEOUT)


def yuv420_to_rgb(planes: np.ndarray, width: int, height: int) -> np.ndarray:
    """RGB from a planar YUV420 buffer shaped (height * 3 / 2, stride), as picamera2 gives it.

    Chroma planes follow the luma plane with half the stride; BT.601 full-range
    coefficients, which is what libcamera's JPEG-style YUV420 uses.
    """
    stride = planes.shape[1]
    luma = planes[:height, :width].astype(np.float32)
    chroma = planes[height:].reshape(-1)
    quarter = (height // 2) * (stride // 2)
    u = chroma[:quarter].reshape(height // 2, stride // 2)[:, : width // 2]
    v = chroma[quarter : 2 * quarter].reshape(height // 2, stride // 2)[:, : width // 2]
    u = np.repeat(np.repeat(u.astype(np.float32) - 128, 2, axis=0), 2, axis=1)[:height, :width]
    v = np.repeat(np.repeat(v.astype(np.float32) - 128, 2, axis=0), 2, axis=1)[:height, :width]
    rgb = np.stack(
        (luma + 1.402 * v, luma - 0.344136 * u - 0.714136 * v, luma + 1.772 * u), axis=-1
    )
    return np.clip(rgb, 0, 255).astype(np.uint8)

