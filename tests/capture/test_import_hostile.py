"""`picat import` given hostile files: each is reported by name, the run goes on, nothing hangs."""

from __future__ import annotations

import io
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from PIL import Image as PILImage

from picat.capture.durable import connect_single
from picat.capture.importer import import_files
from picat.schema import Catalogue
from picat.schema.clock import LATEST
from picat.settings import PictureLimits

from ..factories import jpeg

SIZE = (24, 16)


def run(redis_url: str, catalogue: Catalogue, *paths: Path, **kwargs):
    return import_files(connect_single(redis_url), list(paths), "imp", 0, 64, catalogue,
                        progress=False, workers=1, **kwargs)


@pytest.fixture
def eastern(monkeypatch: pytest.MonkeyPatch):
    """A machine east of UTC: year 9999 local is past datetime's end in UTC+14."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


def test_dates_outside_the_range_never_abort_the_run(
    redis_url: str, r: redis.Redis, catalogue: Catalogue, tmp_path: Path, eastern
) -> None:
    (tmp_path / "a-good.jpg").write_bytes(
        jpeg((10, 20, 30), SIZE, quality=90, DateTimeOriginal="2024:05:01 12:00:00")
    )
    (tmp_path / "b-9999.jpg").write_bytes(
        jpeg((40, 50, 60), SIZE, quality=90, DateTimeOriginal="9999:12:31 23:59:59")
    )
    (tmp_path / "c-1904.jpg").write_bytes(
        jpeg((70, 80, 90), SIZE, quality=90, DateTimeOriginal="1904:01:01 00:00:00")
    )
    (tmp_path / "d-2150.jpg").write_bytes(
        jpeg((100, 110, 120), SIZE, quality=90, DateTimeOriginal="2150:06:01 12:00:00")
    )
    future = tmp_path / "e-future-file.jpg"
    future.write_bytes(jpeg((130, 140, 150), SIZE, quality=90))
    os.utime(future, (LATEST + 86400, LATEST + 86400))
    report = run(redis_url, catalogue, tmp_path)
    assert sorted(p.name for p in report.imported) == [
        "a-good.jpg", "b-9999.jpg", "c-1904.jpg", "d-2150.jpg"]
    assert [(p.name, "outside" in why) for p, why in report.rejected] == [
        ("e-future-file.jpg", True)]
    noted = {p.name: note for p, note in report.notes}
    assert set(noted) == {"b-9999.jpg", "c-1904.jpg"}
    assert "9999:12:31" in noted["b-9999.jpg"] and "modification time" in noted["b-9999.jpg"]
    assert "note" in report.summary()
    stamps = sorted(float(r.hget(key, "timestamp")) for key in r.keys(catalogue.prefix + "*"))
    assert len(stamps) == 4 and all(0 <= stamp < LATEST for stamp in stamps)


def test_fifos_devices_and_oversized_files_are_refused_without_hanging(
    redis_url: str, catalogue: Catalogue, tmp_path: Path
) -> None:
    (tmp_path / "good.jpg").write_bytes(jpeg((1, 2, 3), SIZE, quality=90))
    os.mkfifo(tmp_path / "pipe.jpg")  # reading it would wait for a writer forever
    (tmp_path / "big.jpg").write_bytes(jpeg((4, 5, 6), SIZE, quality=90) + b"\0" * 2 * 2**20)
    wide = io.BytesIO()
    PILImage.new("L", (3000, 2000)).save(wide, "PNG")  # 6 megapixels
    (tmp_path / "wide.png").write_bytes(wide.getvalue())
    limits = PictureLimits(max_bytes=2**20, max_pixels=5 * 10**6)
    started = time.monotonic()
    report = run(redis_url, catalogue, tmp_path, Path("/dev/zero"), limits=limits)
    assert time.monotonic() - started < 30
    assert [p.name for p in report.imported] == ["good.jpg"]
    reasons = {p.name: why for p, why in report.rejected}
    assert "regular file" in reasons["pipe.jpg"] and "regular file" in reasons["zero"]
    assert "PICAT_MAX_PICTURE_MB" in reasons["big.jpg"]
    assert "PICAT_MAX_PICTURE_MEGAPIXELS" in reasons["wide.png"]


def _unlistable_folder(parent: Path) -> Path:
    """A folder this process cannot list: mode 000, or (for root, who reads anything) one
    whose path is longer than PATH_MAX, which no process can open by name."""
    if os.geteuid() != 0:
        locked = parent / "locked"
        locked.mkdir()
        (locked / "a.jpg").write_bytes(jpeg((7, 8, 9), SIZE, quality=90))
        locked.chmod(0)
        return locked
    fd = os.open(parent, os.O_RDONLY)
    depth = 0
    try:
        while len(str(parent)) + depth * 201 < 4200:
            os.mkdir("d" * 200, dir_fd=fd)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, depth = inner, depth + 1
        with open(os.open("a.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as out:
            out.write(jpeg((7, 8, 9), SIZE, quality=90))
    finally:
        os.close(fd)
    return parent / ("d" * 200)


def test_an_unreadable_sub_folder_is_reported(
    redis_url: str, catalogue: Catalogue, tmp_path: Path
) -> None:
    (tmp_path / "ok.jpg").write_bytes(jpeg((1, 1, 1), SIZE, quality=90))
    _unlistable_folder(tmp_path)
    try:
        report = run(redis_url, catalogue, tmp_path)
    finally:
        if (tmp_path / "locked").exists():
            (tmp_path / "locked").chmod(0o755)
    assert [p.name for p in report.imported] == ["ok.jpg"]
    assert len(report.rejected) == 1
    assert "cannot read folder" in report.rejected[0][1]


def test_two_imports_of_one_folder_at_once_store_no_duplicates(
    redis_url: str, r: redis.Redis, catalogue: Catalogue, tmp_path: Path
) -> None:
    for i in range(24):
        (tmp_path / f"{i:02d}.jpg").write_bytes(jpeg((i, 2 * i, 3 * i), SIZE, quality=90))
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: run(redis_url, catalogue, tmp_path), range(2)))
    assert sum(len(report.imported) + len(report.skipped) for report in reports) == 48
    assert len(r.keys(catalogue.prefix + "*")) == 24
