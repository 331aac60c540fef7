"""`picat import` given hostile files: each is reported by name, the run goes on, nothing hangs."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
import redis
from PIL import ExifTags
from PIL import Image as PILImage

from picat.capture.durable import connect_single
from picat.capture.importer import import_files
from picat.schema import Catalogue
from picat.schema.clock import LATEST


def jpeg(colour: tuple[int, int, int], taken: str | None = None,
         size: tuple[int, int] = (24, 16)) -> bytes:
    picture = PILImage.new("RGB", size, colour)
    tags = PILImage.Exif()
    if taken:
        tags.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=90, exif=tags)
    return out.getvalue()


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
    (tmp_path / "a-good.jpg").write_bytes(jpeg((10, 20, 30), "2024:05:01 12:00:00"))
    (tmp_path / "b-9999.jpg").write_bytes(jpeg((40, 50, 60), "9999:12:31 23:59:59"))
    (tmp_path / "c-1904.jpg").write_bytes(jpeg((70, 80, 90), "1904:01:01 00:00:00"))
    (tmp_path / "d-2150.jpg").write_bytes(jpeg((100, 110, 120), "2150:06:01 12:00:00"))
    future = tmp_path / "e-future-file.jpg"
    future.write_bytes(jpeg((130, 140, 150)))
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
