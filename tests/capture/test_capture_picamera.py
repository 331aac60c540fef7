"""The picamera2 adapter, run against the stand-in in tests/capture/standin (real API surface)."""

from __future__ import annotations

import concurrent.futures
import importlib
import io
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
import redis
from PIL import Image as PILImage

from picat.capture import cameras, picamera
from picat.capture.durable import DurableWriter
from picat.capture.picamera import (
    AF_MODE_CONTINUOUS,
    CameraStalled,
    CameraUnavailable,
    Picamera2Camera,
    camera_holders,
    full_field_size,
    lores_size,
    open_picamera2,
)
from picat.capture.service import build_capture
from picat.capture.settings import load_capture_settings
from picat.schema import Catalogue, store
from picat.settings import load_settings

STANDIN = Path(__file__).parent / "standin"
MAIN_RGB = (200, 40, 30)
LORES_RGB = (30, 60, 220)
EXPOSED_AGO = 0.25


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ModuleType]]:
    """Import the stand-in as `picamera2`, set up as the test asks (see its docstring)."""

    def use(**scenario: object) -> ModuleType:
        monkeypatch.setenv("PICAMERA2_STANDIN", json.dumps(scenario))
        sys.modules.pop("picamera2", None)
        return importlib.import_module("picamera2")

    monkeypatch.syspath_prepend(str(STANDIN))
    yield use
    sys.modules.pop("picamera2", None)


def close_enough(a: tuple[int, ...], b: tuple[int, ...], tolerance: int) -> bool:
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) < tolerance


def adapter(resolution: tuple[int, int] | None = None, thumbnail: int = 320,
            **options: object) -> Picamera2Camera:
    return Picamera2Camera(resolution, thumbnail, 85, autofocus=True, **options)  # type: ignore[arg-type]


def test_still_configuration_has_the_real_defaults(standin: Callable[..., ModuleType]) -> None:
    picam2 = standin().Picamera2()
    config = picam2.create_still_configuration(main={"size": (1641, 1233)})
    assert (config["buffer_count"], config["queue"]) == (1, True)
    assert str(config["colour_space"]) == "sYCC"
    assert config["main"] == {"format": "BGR888", "size": (1640, 1232), "preserve_ar": True}
    assert config["lores"] is None and config["display"] is None
    assert config["controls"] == {"NoiseReductionMode": 2, "FrameDurationLimits": (100, 10**9)}
    picam2.close()


def test_one_request_gives_image_thumbnail_and_metadata_stored_in_redis(
    standin: Callable[..., ModuleType], r: redis.Redis, catalogue: Catalogue
) -> None:
    standin(sensor="imx219")
    camera = adapter((1640, 1232))
    before = time.time()
    frame = camera.capture()
    after = time.time()
    capture = build_capture(frame, "pi-garden", "interval", ttl=3600)
    DurableWriter(r, catalogue).write([capture])

    key = catalogue.key(capture.image.pk)
    stored = r.hgetall(key)
    main = PILImage.open(io.BytesIO(stored[b"image_data"]))
    assert main.size == (1640, 1232)
    assert close_enough(main.getpixel((5, 5)), MAIN_RGB, 8)
    thumb = PILImage.open(io.BytesIO(stored[b"thumbnail"]))
    assert thumb.format == "JPEG" and thumb.size == (320, 240)
    # The thumbnail comes from the lores stream (blue), not from the main image (red).
    assert close_enough(thumb.getpixel((5, 5)), LORES_RGB, 12)
    image = store.load(r, capture.image.pk, catalogue)
    assert image is not None
    assert (image.lux, image.exposure_time, image.analogue_gain) == (812.5, 16666, 2.5)
    assert image.colour_temperature == 5120
    assert image.lens_position is None  # imx219 has no lens to move
    assert (image.width, image.height, image.camera) == (1640, 1232, "pi-garden")
    # Wall-clock time of the exposure, moved back from the boot-relative sensor timestamp.
    assert before - EXPOSED_AGO - 0.05 <= image.timestamp <= after - EXPOSED_AGO + 0.05
    assert 0 < r.ttl(key) <= 3600
    camera.close()


def test_configure_may_change_the_size_and_the_frame_says_what_was_taken(
    standin: Callable[..., ModuleType],
) -> None:
    standin(sensor="imx219")
    camera = adapter((4000, 3000), thumbnail=64)  # more than the sensor has: libcamera clamps
    lores = camera.picam2.camera_config["lores"]
    assert camera.size == (3280, 2464)
    assert lores["stride"] >= lores["size"][0] and lores["framesize"] > 0
    frame = camera.capture()
    assert (frame.width, frame.height) == (3280, 2464)
    camera.close()


def test_thumbnail_is_right_when_the_stride_is_wider_than_the_width(
    standin: Callable[..., ModuleType],
) -> None:
    standin(sensor="imx219")
    camera = adapter((1640, 1232), thumbnail=250)
    lores = camera.picam2.camera_config["lores"]
    assert lores["size"] == (250, 186) and lores["stride"] == 256
    thumb = PILImage.open(io.BytesIO(camera.capture().thumbnail))
    assert thumb.size == (250, 186)
    # The stand-in fills row padding with white: none of it may reach the picture's edge.
    for x in (0, 125, 249):
        assert close_enough(thumb.getpixel((x, 100)), LORES_RGB, 16), x
    assert camera.preview().shape == (186, 250)
    camera.close()


def test_autofocus_is_set_after_configure_and_quality_applied(
    standin: Callable[..., ModuleType],
) -> None:
    standin(sensor="imx708")
    camera = adapter((2304, 1296))
    assert camera.picam2.controls["AfMode"] == AF_MODE_CONTINUOUS  # survived configure()
    assert camera.picam2.controls["NoiseReductionMode"] == 2
    assert camera.picam2.options["quality"] == 85
    camera.close()


def test_camera_without_autofocus_gets_no_af_controls(standin: Callable[..., ModuleType]) -> None:
    standin(sensor="imx477")
    camera = adapter((2028, 1520))
    assert "AfMode" not in camera.picam2.controls
    camera.close()


@pytest.mark.parametrize(
    ("sensor", "size"),
    [("imx708", (2304, 1296)), ("imx219", (1640, 1232)), ("imx477", (2028, 1520))],
)
def test_auto_resolution_is_the_sensors_full_field_mode(
    standin: Callable[..., ModuleType], sensor: str, size: tuple[int, int]
) -> None:
    standin(sensor=sensor)
    camera = adapter(None, thumbnail=64)
    assert camera.size == size
    camera.close()


def test_full_field_size_skips_cropped_modes() -> None:
    assert full_field_size([]) is None
    modes = [
        {"size": (1920, 1080), "crop_limits": (680, 692, 1920, 1080)},
        {"size": (3280, 2464), "crop_limits": (0, 0, 3280, 2464)},
        {"size": (1640, 1232), "crop_limits": (0, 0, 3280, 2464)},
    ]
    assert full_field_size(modes) == (1640, 1232)


def test_once_waits_for_autofocus_and_interval_does_not(
    standin: Callable[..., ModuleType],
) -> None:
    standin(sensor="imx708", focus_frames=6)
    camera = adapter((640, 360), thumbnail=64, wait_for_focus=True)
    camera.capture()
    # Six frames scanning, the seventh reports Focused, the picture is the eighth.
    assert camera.picam2._frames == 8
    camera.close()
    camera = adapter((640, 360), thumbnail=64)
    camera.capture()
    assert camera.picam2._frames == 1
    camera.close()


def test_metadata_without_lux_or_lens_position_stores_none(
    standin: Callable[..., ModuleType], r: redis.Redis, catalogue: Catalogue
) -> None:
    standin(sensor="imx708", drop_metadata=["Lux", "LensPosition", "ColourTemperature"])
    camera = adapter((640, 360), thumbnail=64)
    frame = camera.capture()
    camera.close()
    assert (frame.lux, frame.lens_position, frame.colour_temperature) == (None, None, None)
    capture = build_capture(frame, "pi-dark", "interval", ttl=60)
    DurableWriter(r, catalogue).write([capture])
    stored = r.hgetall(catalogue.key(capture.image.pk))
    assert not {b"lux", b"lens_position", b"colour_temperature"} & stored.keys()
    assert stored[b"exposure_time"] == b"16666"


def test_lores_size_keeps_the_aspect_and_stays_even() -> None:
    assert lores_size((4608, 2592), 320) == (320, 180)
    assert lores_size((1640, 1232), 320) == (320, 240)
    assert lores_size((200, 100), 320) == (200, 100)


def test_a_frame_that_never_comes_ends_in_bounded_time(
    standin: Callable[..., ModuleType],
) -> None:
    standin(sensor="imx708", stall_after=1)
    camera = adapter((640, 360), thumbnail=64, frame_timeout=0.3)
    picam2 = camera.picam2
    camera.capture()
    started = time.monotonic()
    with pytest.raises(CameraStalled, match="delivered no frame within"):
        camera.capture()
    assert time.monotonic() - started < 2
    assert picam2._job_list == []  # cancelled and flushed
    assert not picam2.is_open  # closed, so the process can exit and be restarted
    camera.close()  # a second close is harmless


def test_a_camera_that_will_not_close_is_left_behind_in_bounded_time(
    standin: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(picamera, "CLOSE_TIMEOUT", 0.3)
    standin(sensor="imx219", stall_after=0, close_hangs=True)
    camera = adapter((640, 480), thumbnail=64, frame_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(CameraStalled):
        camera.capture()
    assert time.monotonic() - started < 2


def test_once_opens_the_camera_waiting_for_focus(
    standin: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    standin(sensor="imx708")
    monkeypatch.setenv("CAMERA_RESOLUTION", "640x360")
    config = load_capture_settings(load_settings())
    for once in (True, False):
        camera = cameras.open_camera("picamera2", config, once=once)
        assert isinstance(camera, Picamera2Camera) and camera._focus_pending is once
        camera.close()


def test_cancel_all_and_flush_frees_a_waiter_that_had_no_timeout(
    standin: Callable[..., ModuleType],
) -> None:
    picam2 = standin(stall_after=0).Picamera2()
    picam2.configure(picam2.create_still_configuration())
    picam2.start()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(picam2.capture_metadata)  # wait=None: would wait forever
        time.sleep(0.1)
        assert not waiting.done()
        picam2.cancel_all_and_flush()
        with pytest.raises(concurrent.futures.CancelledError):
            waiting.result(2)
    picam2.close()


def test_no_camera_is_index_error_and_a_clear_message(standin: Callable[..., ModuleType]) -> None:
    with pytest.raises(IndexError):
        standin(sensor=None).Picamera2()
    with pytest.raises(CameraUnavailable, match=r"no camera connected.*ribbon cable"):
        open_picamera2()


def test_busy_camera_names_the_process_holding_it(
    standin: Callable[..., ModuleType], tmp_path: Path
) -> None:
    with pytest.raises(RuntimeError) as raised:
        standin(busy=True).Picamera2()
    assert "Device or resource busy" in str(raised.value.__cause__)
    proc = tmp_path / "proc"
    (proc / "4242" / "fd").mkdir(parents=True)
    (proc / "4242" / "comm").write_text("rpicam-hello\n")
    os.symlink("/dev/media2", proc / "4242" / "fd" / "7")
    os.symlink("/dev/null", proc / "4242" / "fd" / "0")
    assert camera_holders(proc) == [(4242, "rpicam-hello", "/dev/media2")]
    with pytest.raises(CameraUnavailable, match=r"camera busy in process 4242 \(rpicam-hello"):
        open_picamera2(proc)
    with pytest.raises(CameraUnavailable, match=r"Device or resource busy.*fuser"):
        open_picamera2(tmp_path / "empty")


def test_missing_picamera2_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)
    with pytest.raises(CameraUnavailable, match="apt install -y python3-picamera2"):
        Picamera2Camera((640, 480), 320, 90, autofocus=False)


def test_numpy_mismatch_at_import_is_a_clear_error(standin: Callable[..., ModuleType]) -> None:
    with pytest.raises(ValueError, match=r"numpy\.dtype size changed"):
        standin(import_error="numpy")
    fix = r"numpy\.dtype size changed.*pip install -e '\.\[pi\]'"
    with pytest.raises(CameraUnavailable, match=fix):
        open_picamera2()


def test_auto_means_picamera2_on_a_pi_and_simulated_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = tmp_path / "model"
    monkeypatch.setattr(cameras, "DEVICE_TREE_MODEL", model)
    assert cameras.resolve_kind("auto") == "simulated"
    assert "SIMULATED" in caplog.text
    model.write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\0")
    assert cameras.resolve_kind("auto") == "picamera2"
    model.write_bytes(b"Radxa ROCK 5B\0")
    assert cameras.resolve_kind("auto") == "simulated"
    assert cameras.resolve_kind("simulated") == "simulated"
