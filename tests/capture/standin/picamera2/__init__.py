"""A stand-in for picamera2 0.3.x, importable as `picamera2`, for machines without a Pi camera.

It follows the real library's API surface and behaviour where our adapter touches
it (read from picamera2's own sources, picamera2.py, request.py and job.py):

- `Picamera2(camera_num=0)` indexes `global_camera_info()` first, so no camera is an
  `IndexError`; a camera held by another process is `RuntimeError("Camera __init__
  sequence did not complete.")` whose `__cause__` is libcamera's acquire error.
- `create_still_configuration()` returns the real keys and defaults: `buffer_count`
  1, `colour_space` sYCC, `queue` True, main BGR888 at the sensor's resolution with
  `preserve_ar`, `NoiseReductionMode` HighQuality and the wide `FrameDurationLimits`
  in `controls`, sizes aligned to even numbers.
- `configure()` lets "libcamera" adjust sizes (clamped to the sensor here) and writes
  `stride` and `framesize` into each stream's dict; it resets the controls to the
  configuration's. Rows are padded to 64 bytes, so a stride can exceed the width.
- Captures are jobs: `wait=None` waits forever, a number raises `TimeoutError`
  (concurrent.futures' alias) when the frame does not come; `cancel_all_and_flush()`
  cancels pending jobs (their waiters get `CancelledError`). With `buffer_count` 1, a
  request that is never released stalls the next capture, as on the real camera.
- A `CompletedRequest` works only until `release()`.

What a test wants is set in the environment variable PICAMERA2_STANDIN as JSON, read
at import (`import_error`) and when a camera is opened:
`sensor` ("imx708", "imx219", "imx477", or null for no camera), `busy`,
`stall_after` (frames delivered before the frontend "times out"), `focus_frames`
(frames continuous autofocus scans before Focused), `drop_metadata` (keys missing
from the metadata, as on sensors without them), `close_hangs` (close() never returns,
as a camera whose cable came loose may do).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

__version__ = "0.3.36+standin"


def _scenario() -> dict[str, Any]:
    return {"sensor": "imx708", **json.loads(os.environ.get("PICAMERA2_STANDIN") or "{}")}


if _scenario().get("import_error") == "numpy":
    # What apt's simplejpeg (built for numpy 1.x) raises when picamera2 imports it under numpy 2.
    raise ValueError(
        "numpy.dtype size changed, may indicate binary incompatibility. "
        "Expected 96 from C header, got 88 from PyObject"
    )

MAIN_RGB = (200, 40, 30)
LORES_RGB = (30, 60, 220)
PADDING = 255
FRAME_SECONDS = 0.02

# Sensor modes as picamera2 lists them on the real modules (format, size, fps, crop_limits).
SENSORS: dict[str, dict[str, Any]] = {
    "imx708": {
        "Model": "imx708",
        "PixelArraySize": (4608, 2592),
        "autofocus": True,
        "modes": [
            ("SRGGB10_CSI2P", (1536, 864), 120.13, (768, 432, 3072, 1728)),
            ("SRGGB10_CSI2P", (2304, 1296), 56.03, (0, 0, 4608, 2592)),
            ("SRGGB10_CSI2P", (4608, 2592), 14.35, (0, 0, 4608, 2592)),
        ],
    },
    "imx219": {
        "Model": "imx219",
        "PixelArraySize": (3280, 2464),
        "autofocus": False,
        "modes": [
            ("SRGGB10_CSI2P", (640, 480), 103.33, (1000, 752, 1280, 960)),
            ("SRGGB10_CSI2P", (1640, 1232), 41.85, (0, 0, 3280, 2464)),
            ("SRGGB10_CSI2P", (1920, 1080), 47.57, (680, 692, 1920, 1080)),
            ("SRGGB10_CSI2P", (3280, 2464), 21.19, (0, 0, 3280, 2464)),
        ],
    },
    "imx477": {
        "Model": "imx477",
        "PixelArraySize": (4056, 3040),
        "autofocus": False,
        "modes": [
            ("SRGGB10_CSI2P", (1332, 990), 120.05, (696, 528, 2664, 1980)),
            ("SRGGB12_CSI2P", (2028, 1080), 50.03, (0, 440, 4056, 2160)),
            ("SRGGB12_CSI2P", (2028, 1520), 40.01, (0, 0, 4056, 3040)),
            ("SRGGB12_CSI2P", (4056, 3040), 10.0, (0, 0, 4056, 3040)),
        ],
    },
}


@dataclass(frozen=True)
class Transform:
    """libcamera.Transform: identity unless flipped."""

    hflip: int = 0
    vflip: int = 0


@dataclass(frozen=True)
class ColorSpace:
    """libcamera.ColorSpace; still captures use sYCC (full-range BT.601 JPEG YUV)."""

    name: str

    @staticmethod
    def Sycc() -> ColorSpace:  # libcamera's spelling
        return ColorSpace("sYCC")

    def __str__(self) -> str:
        return self.name


NOISE_REDUCTION_HIGH_QUALITY = 2


class Job:
    """picamera2.job.Job: a future the camera's event loop completes."""

    def __init__(self) -> None:
        self._future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._future.set_running_or_notify_cancel()

    def get_result(self, timeout: float | None = None) -> Any:
        return self._future.result(timeout=timeout)

    def cancel(self) -> None:
        self._future.set_exception(concurrent.futures.CancelledError())


def _align(value: int, to: int) -> int:
    return -(-value // to) * to


class CompletedRequest:
    """picamera2.request.CompletedRequest: one frame's buffers and metadata until released."""

    def __init__(self, picam2: Picamera2, metadata: dict[str, Any]) -> None:
        self.picam2 = picam2
        self.config = picam2.camera_config
        self._metadata = metadata
        self.released = False

    def _check(self) -> None:
        if self.released:
            raise RuntimeError("request used after release()")

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.picam2._outstanding -= 1

    def get_metadata(self) -> dict[str, Any]:
        self._check()
        return dict(self._metadata)

    def make_array(self, name: str) -> np.ndarray:
        self._check()
        stream = self.config.get(name)
        if stream is None:
            raise RuntimeError(f"Stream {name!r} is not defined")
        width, height = stream["size"]
        if stream["format"] == "YUV420":
            return _yuv420(LORES_RGB if name == "lores" else MAIN_RGB, width, height,
                           stream["stride"])
        return np.full((height, width, 3), MAIN_RGB[::-1], dtype=np.uint8)  # BGR888 is RGB bytes

    def save(self, name: str, file_output: Any, format: str | None = None) -> None:
        self._check()
        stream = self.config.get(name)
        if stream is None:
            raise RuntimeError(f"Stream {name!r} is not defined")
        Image.new("RGB", stream["size"], MAIN_RGB).save(
            file_output, format=(format or "jpeg").upper().replace("JPG", "JPEG"),
            quality=self.picam2.options.get("quality", 90),
        )


def _yuv420(rgb: tuple[int, int, int], width: int, height: int, stride: int) -> np.ndarray:
    """Planar YUV420 of one colour, shaped (height * 3 / 2, stride); padding bytes are 255."""
    r, g, b = rgb
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
    v = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
    out = np.full((height * 3 // 2, stride), PADDING, dtype=np.uint8)
    out[:height, :width] = round(y)
    chroma = out[height:].reshape(-1)
    quarter = (height // 2) * (stride // 2)
    u_plane = chroma[:quarter].reshape(height // 2, stride // 2)
    v_plane = chroma[quarter:].reshape(height // 2, stride // 2)
    u_plane[:, : width // 2] = round(u)
    v_plane[:, : width // 2] = round(v)
    return out


class Picamera2:
    """The parts of picamera2.Picamera2 a still-capture program uses, faithfully."""

    @staticmethod
    def global_camera_info() -> list[dict[str, Any]]:
        sensor = _scenario()["sensor"]
        if sensor is None:
            return []
        return [{"Model": sensor, "Location": 2, "Rotation": 180, "Id": f"/base/{sensor}@1a",
                 "Num": 0}]

    def __init__(self, camera_num: int = 0) -> None:
        self.is_open = False
        scenario = _scenario()
        camera_num = self.global_camera_info()[camera_num]["Num"]  # IndexError: no camera
        try:
            if scenario.get("busy"):
                raise RuntimeError("Failed to acquire camera: Device or resource busy")
        except Exception as exc:
            raise RuntimeError("Camera __init__ sequence did not complete.") from exc
        self.camera_idx = camera_num
        self.sensor = SENSORS[scenario["sensor"]]
        self._stall_after = scenario.get("stall_after")
        self._focus_frames = scenario.get("focus_frames", 3)
        self._drop = set(scenario.get("drop_metadata", ()))
        self._close_hangs = bool(scenario.get("close_hangs"))
        self.is_open = True
        self.started = False
        self.camera_config: dict[str, Any] = {}
        self.controls: dict[str, Any] = {}
        self._pending_controls: dict[str, Any] = {}
        self.options: dict[str, Any] = {"quality": 90, "compress_level": 1}
        self._job_list: list[Job] = []
        self._lock = threading.Lock()
        self._frames = 0
        self._outstanding = 0
        self.sensor_resolution = max(
            (mode[1] for mode in self.sensor["modes"]), key=lambda size: size[0] * size[1]
        )
        self.sensor_format = self.sensor["modes"][-1][0]
        atexit.register(self.close)

    @property
    def camera_properties(self) -> dict[str, Any]:
        if not self.is_open:
            return {}
        return {"Model": self.sensor["Model"], "PixelArraySize": self.sensor["PixelArraySize"],
                "Location": 2, "Rotation": 180}

    @property
    def camera_controls(self) -> dict[str, tuple[Any, Any, Any]]:
        width, height = self.sensor["PixelArraySize"]
        controls: dict[str, tuple[Any, Any, Any]] = {
            "ExposureTime": (1, 66666, 20000),
            "AnalogueGain": (1.0, 16.0, 1.0),
            "FrameDurationLimits": (33333, 120000, 33333),
            "NoiseReductionMode": (0, 4, 0),
            "ScalerCrop": ((0, 0, 64, 64), (0, 0, width, height), (0, 0, width, height)),
        }
        if self.sensor["autofocus"]:
            controls |= {"AfMode": (0, 2, 0), "LensPosition": (0.0, 15.0, 1.0)}
        return controls

    @property
    def sensor_modes(self) -> list[dict[str, Any]]:
        return [
            {"format": fmt, "unpacked": fmt.replace("_CSI2P", ""), "bit_depth": int(fmt[5:7]),
             "size": size, "fps": fps, "crop_limits": crop, "exposure_limits": (9, None)}
            for fmt, size, fps, crop in self.sensor["modes"]
        ]

    def create_still_configuration(
        self,
        main: dict[str, Any] | None = None,
        lores: dict[str, Any] | None = None,
        raw: dict[str, Any] | None = None,
        transform: Transform | None = None,
        colour_space: ColorSpace | None = None,
        buffer_count: int = 1,
        controls: dict[str, Any] | None = None,
        display: str | None = None,
        encode: str | None = None,
        queue: bool = True,
        sensor: dict[str, Any] | None = None,
        use_case: str = "still",
    ) -> dict[str, Any]:
        if not self.is_open:
            raise RuntimeError("Camera not opened")
        main_stream = {"format": "BGR888", "size": self.sensor_resolution, "preserve_ar": True,
                       **(main or {})}
        _align_even(main_stream)
        lores_stream = None
        if lores is not None:
            lores_stream = {"format": "YUV420", "size": main_stream["size"],
                            "preserve_ar": False, **lores}
            _align_even(lores_stream)
        raw_stream = {"format": self.sensor_format, "size": main_stream["size"], **(raw or {})}
        return {
            "use_case": use_case,
            "transform": transform or Transform(),
            "colour_space": colour_space or ColorSpace.Sycc(),
            "buffer_count": buffer_count,
            "queue": queue,
            "main": main_stream,
            "lores": lores_stream,
            "raw": raw_stream,
            "controls": {"NoiseReductionMode": NOISE_REDUCTION_HIGH_QUALITY,
                         "FrameDurationLimits": (100, 1000000 * 1000)} | (controls or {}),
            "sensor": sensor or {},
            "display": display,
            "encode": encode,
        }

    def configure(self, camera_config: dict[str, Any]) -> None:
        if self.started:
            raise RuntimeError("Camera must be stopped before configuring")
        config = camera_config.copy()  # shallow, as picamera2's: stream dicts are updated in place
        main, lores = config["main"], config.get("lores")
        if lores is not None:
            if lores["size"][0] > main["size"][0] or lores["size"][1] > main["size"][1]:
                raise RuntimeError("lores stream dimensions may not exceed main stream")
            if lores["format"] not in ("YUV420", "YVU420"):
                raise RuntimeError("lores stream must be YUV")
        max_w, max_h = self.sensor_resolution
        for stream in (main, lores, config.get("raw")):
            if stream is None:
                continue
            width, height = stream["size"]
            width, height = min(width, max_w), min(height, max_h)  # "Adjusted" by libcamera
            stream["size"] = (width, height)
            if stream["format"] == "YUV420":
                stream["stride"] = _align(width, 64)
                stream["framesize"] = stream["stride"] * height * 3 // 2
            else:
                stream["stride"] = _align(width * (3 if "888" in stream["format"] else 2), 64)
                stream["framesize"] = stream["stride"] * height
        self.camera_config = config
        self.controls = dict(config["controls"])  # configure() resets controls
        self._pending_controls = {}

    def set_controls(self, controls: dict[str, Any]) -> None:
        self._pending_controls.update(controls)
        if self.started:
            self.controls.update(self._pending_controls)
            self._pending_controls = {}

    def start(self) -> None:
        if not self.camera_config:
            raise RuntimeError("Camera has not been configured")
        self.controls.update(self._pending_controls)
        self._pending_controls = {}
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        atexit.unregister(self.close)
        if not self.is_open:
            return
        if self._close_hangs:
            threading.Event().wait()
        self.stop()
        self.is_open = False
        self.camera_config = {}

    def cancel_all_and_flush(self) -> None:
        with self._lock:
            for job in self._job_list:
                job.cancel()
            self._job_list = []

    def _next_frame(self) -> dict[str, Any] | None:
        """The next frame's metadata, or None when the frontend has stalled."""
        if not self.started:
            return None
        stalled = self._stall_after is not None and self._frames >= self._stall_after
        if stalled or (self.camera_config["buffer_count"] == 1 and self._outstanding):
            return None
        time.sleep(FRAME_SECONDS)
        self._frames += 1
        boot_ns = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        metadata: dict[str, Any] = {
            "SensorTimestamp": boot_ns - int(0.25e9),
            "FrameDuration": 33333,
            "ExposureTime": 16666,
            "AnalogueGain": 2.5,
            "DigitalGain": 1.0,
            "ColourTemperature": 5120,
            "Lux": 812.5,
            "ScalerCrop": (0, 0, *self.sensor["PixelArraySize"]),
        }
        if self.sensor["autofocus"] and self.controls.get("AfMode") == 2:
            focused = self._frames > self._focus_frames
            metadata |= {"AfState": 2 if focused else 1, "LensPosition": 1.75}
        return {k: v for k, v in metadata.items() if k not in self._drop}

    def _dispatch(self, make: Callable[[dict[str, Any]], Any], wait: Any) -> Any:
        job = Job()
        metadata = self._next_frame()
        if metadata is None:
            with self._lock:
                self._job_list.append(job)  # never completed: the frontend timed out
        else:
            job._future.set_result(make(metadata))
        timeout = None if wait is None or wait is True else wait
        return job.get_result(timeout) if wait is not False else job

    def _request(self, metadata: dict[str, Any]) -> CompletedRequest:
        self._outstanding += 1
        return CompletedRequest(self, metadata)

    def capture_request(self, wait: Any = None, flush: Any = None) -> Any:
        return self._dispatch(self._request, wait)

    @contextlib.contextmanager
    def captured_request(self, wait: Any = None, flush: Any = None) -> Iterator[CompletedRequest]:
        request = self.capture_request(wait=wait, flush=flush)
        try:
            yield request
        finally:
            request.release()

    def capture_metadata(self, wait: Any = None) -> Any:
        return self._dispatch(lambda metadata: metadata, wait)

    def capture_array(self, name: str = "main", wait: Any = None) -> Any:
        def array(metadata: dict[str, Any]) -> np.ndarray:
            request = self._request(metadata)
            try:
                return request.make_array(name)
            finally:
                request.release()

        return self._dispatch(array, wait)


def _align_even(stream: dict[str, Any]) -> None:
    """picamera2's align_stream(optimal=False): width and height rounded down to even."""
    width, height = stream["size"]
    stream["size"] = (width - width % 2, height - height % 2)

