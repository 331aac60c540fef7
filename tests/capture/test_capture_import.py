"""`picat import`: 200 JPEGs, 3 bad files and a duplicate; a second run imports nothing."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from PIL import Image as PILImage
from PIL import TiffImagePlugin

from picat.capture.durable import connect_single
from picat.capture.importer import import_files
from picat.capture.photo_facts import estimated_lux, exif_time
from picat.cli import main
from picat.embedded import EmbeddedRedis
from picat.schema import Catalogue, store

from ..factories import jpeg

SIZE = (24, 16)  # a photo's worth of Exif on a few pixels


def make_folder(folder: Path) -> list[str]:
    """200 distinct JPEGs, one duplicate of them, and three bad files; returns the bad names."""
    folder.mkdir()
    for i in range(200):
        photo = jpeg((i, 255 - i, (i * 7) % 256), SIZE, quality=90)
        (folder / f"photo-{i:03d}.jpg").write_bytes(photo)
    shutil.copy(folder / "photo-042.jpg", folder / "zz-copy-of-042.jpg")
    whole = (folder / "photo-001.jpg").read_bytes()
    bad = {
        "broken.jpg": whole[: len(whole) // 2],
        "random.png": os.urandom(2048),
        "notes.txt": b"not a picture\n",
    }
    for name, data in bad.items():
        (folder / "sub").mkdir(exist_ok=True)
        (folder / "sub" / name).write_bytes(data)
    return sorted(bad)


def test_picat_import_counts_and_is_idempotent(
    embedded_redis: Callable[..., EmbeddedRedis],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = embedded_redis()
    monkeypatch.setenv("REDIS_URL", server.url)
    monkeypatch.setenv("PICAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CAMERA_ID", "old-photos")
    folder = tmp_path / "photos"
    bad = make_folder(folder)

    assert main(["import", str(folder)]) == 0
    first = capsys.readouterr().out
    assert "imported 200, skipped 1 (already in the catalogue), rejected 3" in first
    for name in bad:
        assert f"rejected {folder / 'sub' / name}: " in first

    assert main(["import", str(folder)]) == 0
    second = capsys.readouterr().out
    assert "imported 0, skipped 201 (already in the catalogue), rejected 3" in second

    r = redis.Redis.from_url(server.url)
    keys = list(r.scan_iter("image:*"))
    assert len(keys) == 200
    fields = r.hmget(keys[0], "trigger", "camera", "mime_type")
    assert fields == [b"import", b"old-photos", b"image/jpeg"]


def test_missing_path_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["import", str(tmp_path / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_import_starts_without_loading_the_gallery() -> None:
    """`picat import` loads only its own command module: Flask is a third of start-up."""
    probe = "import sys; from picat.cli import build_parser; build_parser('import'); " \
        "print(sorted(m for m in ('flask', 'picat.webapp.app', 'picat.up_command') " \
        "if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout
    assert loaded.strip() == "[]"


def test_exif_time_and_exposure_become_timestamp_and_lux(
    redis_url: str, catalogue: Catalogue, tmp_path: Path
) -> None:
    data = jpeg(
        (120, 120, 120),
        SIZE,
        quality=90,
        DateTimeOriginal="2024:06:01 07:30:00",
        OffsetTimeOriginal="+02:00",
        ExposureTime=TiffImagePlugin.IFDRational(1, 100),
        FNumber=TiffImagePlugin.IFDRational(2, 1),
        ISOSpeedRatings=100,
    )
    (tmp_path / "exif.jpg").write_bytes(data)
    r = connect_single(redis_url)
    report = import_files(r, [tmp_path], "cam", 0, 320, catalogue, progress=False)
    assert len(report.imported) == 1
    (key,) = r.scan_iter(match=catalogue.prefix + "*")
    image = store.load(r, catalogue.id_from_key(key), catalogue)
    assert image is not None
    assert image.timestamp == datetime(2024, 6, 1, 5, 30, tzinfo=UTC).timestamp()
    assert image.lux == pytest.approx(1000.0)
    assert image.expires_at is None and r.ttl(key) == -1


def test_without_exif_the_file_time_and_luminance_are_used(tmp_path: Path) -> None:
    path = tmp_path / "plain.png"
    PILImage.new("RGB", (32, 32), (250, 250, 250)).save(path)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    with PILImage.open(path) as bright:
        assert exif_time(bright) is None
        bright_lux = estimated_lux(bright)
    dark = PILImage.new("RGB", (32, 32), (5, 5, 5))
    assert bright_lux > 50_000 > 10 > estimated_lux(dark)


def test_png_is_kept_as_png_with_a_jpeg_thumbnail(
    redis_url: str, catalogue: Catalogue, tmp_path: Path
) -> None:
    path = tmp_path / "scan.png"
    PILImage.new("RGB", (800, 400), (10, 200, 30)).save(path)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    r = connect_single(redis_url)
    import_files(r, [path], "cam", 3600, 320, catalogue, progress=False)
    (key,) = r.scan_iter(match=catalogue.prefix + "*")
    assert r.hget(key, "image_data") == path.read_bytes()
    assert r.hget(key, "mime_type") == b"image/png"
    assert float(r.hget(key, "timestamp")) == 1_700_000_000
    thumb = PILImage.open(io.BytesIO(r.hget(key, "thumbnail")))
    assert (thumb.format, thumb.size) == ("JPEG", (320, 160))
    # Imported pictures count their TTL from the import, not from an old file date.
    assert float(r.hget(key, "expires_at")) == pytest.approx(time.time() + 3600, abs=30)


def test_time_of_day_is_the_cameras_when_exif_gives_its_offset(
    redis_url: str, catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """07:00 in Tokyo stays 07:00 when a machine in another zone imports it."""
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    try:
        (tmp_path / "tokyo.jpg").write_bytes(
            jpeg((90, 90, 90), SIZE, quality=90, DateTimeOriginal="2024:01:15 07:00:00",
                 OffsetTimeOriginal="+09:00")
        )
        r = connect_single(redis_url)
        import_files(r, [tmp_path], "cam", 0, 320, catalogue, progress=False)
    finally:
        monkeypatch.undo()
        time.tzset()
    (key,) = r.scan_iter(match=catalogue.prefix + "*")
    image = store.load(r, catalogue.id_from_key(key), catalogue)
    assert image is not None
    assert image.timestamp == datetime(2024, 1, 14, 22, 0, tzinfo=UTC).timestamp()
    assert (image.time_of_day, image.utc_offset) == (7 * 3600, 9 * 3600)
