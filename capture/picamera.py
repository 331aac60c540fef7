"""The real camera: picamera2 on a Raspberry Pi, imported only when asked for.

One `captured_request()` yields the full-size frame (saved as JPEG), the lores
YUV420 stream (turned into the thumbnail without touching the big image) and the
metadata of that same exposure. Autofocus is set after `configure()`, because
`configure()` resets the controls. The sensor's `SensorTimestamp` counts from boot
(CLOCK_BOOTTIME), so it is moved onto the wall clock.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from PIL import Image as PILImage

from .frame import Frame
from .imaging import make_thumbnail

# libcamera's controls.AfModeEnum.Continuous; the number avoids importing libcamera here.
AF_MODE_CONTINUOUS = 2


class CameraUnavailable(RuntimeError):
    """picamera2 cannot be used on this machine; the message says why."""


def _open_picamera2() -> Any:
    try:
        from picamera2 import Picamera2
    except ImportError as exc:
        raise CameraUnavailable(
            f"picamera2 is not importable ({exc}); on Raspberry Pi OS install python3-picamera2 "
            "with apt and create the venv with --system-site-packages, or use --camera simulated"
        ) from exc
    try:
        return Picamera2()
    except (RuntimeError, IndexError) as exc:
        raise CameraUnavailable(f"no camera found by libcamera ({exc})") from exc


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
    """The `Camera` interface over a `Picamera2` object (or a stand-in with the same methods)."""

    def __init__(
        self,
        resolution: tuple[int, int],
        thumbnail_size: int,
        jpeg_quality: int,
        autofocus: bool,
        open_camera: Callable[[], Any] = _open_picamera2,
    ) -> None:
        self.thumbnail_size = thumbnail_size
        self.picam2 = open_camera()
        config = self.picam2.create_still_configuration(
            main={"size": resolution},
            lores={"size": lores_size(resolution, thumbnail_size), "format": "YUV420"},
        )
        self.picam2.configure(config)
        self.picam2.options["quality"] = jpeg_quality
        if autofocus and "AfMode" in self.picam2.camera_controls:
            self.picam2.set_controls({"AfMode": AF_MODE_CONTINUOUS})
        self.picam2.start()

    def _lores(self) -> tuple[int, int]:
        return tuple(self.picam2.camera_config["lores"]["size"])  # type: ignore[return-value]

    def capture(self) -> Frame:
        jpeg = io.BytesIO()
        with self.picam2.captured_request() as request:
            request.save("main", jpeg, format="jpeg")
            lores = request.make_array("lores")
            metadata = request.get_metadata()
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
        return self.picam2.capture_array("lores")[:height, :width]

    def close(self) -> None:
        self.picam2.stop()
        self.picam2.close()


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

