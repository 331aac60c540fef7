"""The picamera2 adapter's own code, run against a stand-in for the `Picamera2` object."""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Iterator

import numpy as np
import pytest
import redis
from PIL import Image as PILImage

from picat.capture.durable import DurableWriter
from picat.capture.picamera import (
    AF_MODE_CONTINUOUS,
    CameraUnavailable,
    Picamera2Camera,
    lores_size,
)
from picat.capture.service import build_capture
from picat.schema import Catalogue, store

MAIN_RGB = (200, 40, 30)
LORES_RGB = (30, 60, 220)
EXPOSED_AGO = 0.25


def yuv420(rgb: tuple[int, int, int], width: int, height: int, stride: int) -> np.ndarray:
    """A planar YUV420 buffer of one colour, rows padded to `stride` like a real camera's."""
    r, g, b = rgb
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
    v = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
    luma = np.full((height, stride), y)
    chroma = np.concatenate(
        (np.full((height // 2) * (stride // 2), u), np.full((height // 2) * (stride // 2), v))
    )
    return np.concatenate((luma.reshape(-1), chroma)).round().astype(np.uint8).reshape(-1, stride)


class FakeRequest:
    def __init__(self, camera: FakePicamera2) -> None:
        self.camera = camera

    def save(self, name: str, out: io.BytesIO, format: str) -> None:
        assert (name, format) == ("main", "jpeg")
        size = self.camera.camera_config["main"]["size"]
        PILImage.new("RGB", size, MAIN_RGB).save(
            out, format="JPEG", quality=self.camera.options["quality"]
        )

    def make_array(self, name: str) -> np.ndarray:
        assert name == "lores"
        return self.camera.lores_buffer()

    def get_metadata(self) -> dict[str, object]:
        boot_ns = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        return {
            "SensorTimestamp": boot_ns - int(EXPOSED_AGO * 1e9),
            "Lux": 812.5,
            "ExposureTime": 16_666,
            "AnalogueGain": 2.5,
            "ColourTemperature": 5120,
            "LensPosition": 1.75,
            "AfState": 2,
        }


class FakePicamera2:
    """Just the parts of `Picamera2` the adapter uses, recording how it is driven."""

    def __init__(self, has_autofocus: bool = True) -> None:
        self.calls: list[str] = []
        self.options: dict[str, object] = {}
        self.camera_controls = {"AfMode": (0, 2, 0)} if has_autofocus else {}
        self.controls: dict[str, object] = {}
        self.camera_config: dict[str, dict] = {}

    def create_still_configuration(self, main: dict, lores: dict) -> dict:
        return {"main": {"format": "BGR888", **main}, "lores": dict(lores)}

    def configure(self, config: dict) -> None:
        self.calls.append("configure")
        self.controls = {}  # configure() resets controls, as the real one does
        width = config["lores"]["size"][0]
        self.camera_config = {**config, "lores": {**config["lores"], "stride": width + 64}}

    def set_controls(self, controls: dict) -> None:
        self.calls.append("set_controls")
        self.controls.update(controls)

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")

    def close(self) -> None:
        self.calls.append("close")

    def lores_buffer(self) -> np.ndarray:
        lores = self.camera_config["lores"]
        return yuv420(LORES_RGB, *lores["size"], lores["stride"])

    @contextlib.contextmanager
    def captured_request(self) -> Iterator[FakeRequest]:
        self.calls.append("captured_request")
        yield FakeRequest(self)

    def capture_array(self, name: str) -> np.ndarray:
        assert name == "lores"
        return self.lores_buffer()


def test_one_request_gives_image_thumbnail_and_metadata_stored_in_redis(
    r: redis.Redis, catalogue: Catalogue
) -> None:
    fake = FakePicamera2()
    camera = Picamera2Camera((1640, 1232), 320, 85, autofocus=True, open_camera=lambda: fake)

    before = time.time()
    frame = camera.capture()
    after = time.time()
    capture = build_capture(frame, "pi-garden", "interval", ttl=3600)
    DurableWriter(r, catalogue).write([capture])

    assert fake.calls.count("captured_request") == 1
    key = catalogue.key(capture.image.pk)
    stored = r.hgetall(key)
    main = PILImage.open(io.BytesIO(stored[b"image_data"]))
    assert main.size == (1640, 1232)
    assert max(abs(a - b) for a, b in zip(main.getpixel((5, 5)), MAIN_RGB, strict=True)) < 8
    thumb = PILImage.open(io.BytesIO(stored[b"thumbnail"]))
    assert thumb.format == "JPEG" and max(thumb.size) <= 320 and thumb.size == (320, 240)
    # The thumbnail comes from the lores stream (blue), not from the main image (red).
    assert max(abs(a - b) for a, b in zip(thumb.getpixel((5, 5)), LORES_RGB, strict=True)) < 12
    assert len(stored[b"thumbnail"]) < 25 * 1024
    image = store.load(r, capture.image.pk, catalogue)
    assert image is not None
    assert (image.lux, image.exposure_time, image.analogue_gain) == (812.5, 16666, 2.5)
    assert (image.colour_temperature, image.lens_position) == (5120, 1.75)
    assert (image.width, image.height, image.camera) == (1640, 1232, "pi-garden")
    # Wall-clock time of the exposure, moved back from the boot-relative sensor timestamp.
    assert before - EXPOSED_AGO - 0.05 <= image.timestamp <= after - EXPOSED_AGO + 0.05
    assert 0 < r.ttl(key) <= 3600


def test_autofocus_is_set_after_configure_and_quality_applied() -> None:
    fake = FakePicamera2()
    Picamera2Camera((1640, 1232), 320, 77, autofocus=True, open_camera=lambda: fake)
    assert fake.calls == ["configure", "set_controls", "start"]
    assert fake.controls == {"AfMode": AF_MODE_CONTINUOUS}
    assert fake.options["quality"] == 77


def test_camera_without_autofocus_gets_no_af_controls() -> None:
    fake = FakePicamera2(has_autofocus=False)
    Picamera2Camera((1640, 1232), 320, 90, autofocus=True, open_camera=lambda: fake)
    assert "set_controls" not in fake.calls


def test_preview_is_the_lores_luma_without_padding() -> None:
    fake = FakePicamera2()
    camera = Picamera2Camera((1640, 1232), 320, 90, autofocus=False, open_camera=lambda: fake)
    luma = camera.preview()
    assert luma.shape == (240, 320)
    camera.close()
    assert fake.calls[-2:] == ["stop", "close"]


def test_lores_size_keeps_the_aspect_and_stays_even() -> None:
    assert lores_size((4608, 2592), 320) == (320, 180)
    assert lores_size((1640, 1232), 320) == (320, 240)
    assert lores_size((200, 100), 320) == (200, 100)


def test_missing_picamera2_is_a_clear_error() -> None:
    with pytest.raises(CameraUnavailable, match="python3-picamera2"):
        Picamera2Camera((640, 480), 320, 90, autofocus=False)
