"""`picat import`: bring existing JPEG and PNG files into the catalogue.

Each file is fully decoded before anything is written, so a corrupt or non-image
file is rejected by name and the run goes on. A file whose content (sha256) is
already in the catalogue, or earlier in the same run, is skipped, which makes a
second run of the same import a no-op. The original bytes are stored unchanged
with a JPEG thumbnail; where the time and brightness come from is in `photo_facts`.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError
from tqdm import tqdm

from picat.schema import DEFAULT_CATALOGUE, Catalogue, Image, Trigger, new_image_id
from picat.schema.clock import local_time_fields
from picat.schema.store import save

from .durable import DurableWriter
from .imaging import make_thumbnail
from .photo_facts import capture_time, estimated_lux

log = logging.getLogger("picat.capture")

MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass
class ImportReport:
    imported: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"imported {len(self.imported)}, skipped {len(self.skipped)} (already in the "
            f"catalogue), rejected {len(self.rejected)}"
        ]
        lines.extend(f"  rejected {path}: {reason}" for path, reason in self.rejected)
        return "\n".join(lines)


class Rejected(ValueError):
    """A file that is not a usable JPEG or PNG; the message says why."""


def find_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and every non-hidden file below named folders, in name order."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden:
                    yield child
        else:
            yield path


def already_imported(r: redis.Redis, checksum: str, catalogue: Catalogue) -> bool:
    reply = r.execute_command(
        "FT.SEARCH", catalogue.index, f"@checksum:{{{checksum}}}", "NOCONTENT", "LIMIT", "0", "0"
    )
    return int(reply[0]) > 0


def _open_picture(data: bytes) -> PILImage.Image:
    try:
        picture = PILImage.open(io.BytesIO(data))
        picture.load()
    except UnidentifiedImageError:
        raise Rejected("not an image (unknown format)") from None
    except (PILImage.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise Rejected(f"not a readable image ({exc})") from None
    if picture.format not in MIME_TYPES:
        raise Rejected(f"{picture.format} is not JPEG or PNG")
    return picture


def describe_file(
    path: Path, data: bytes, camera_id: str, ttl: int, thumbnail_size: int
) -> tuple[Image, bytes]:
    """The model and thumbnail for one file's bytes; raises Rejected for a bad file."""
    picture = _open_picture(data)
    taken = capture_time(picture, path)
    time_of_day, utc_offset = local_time_fields(taken)
    upright = ImageOps.exif_transpose(picture)
    image = Image(
        pk=new_image_id(taken),
        mime_type=MIME_TYPES[picture.format],
        timestamp=taken,
        lux=estimated_lux(picture),
        camera=camera_id,
        trigger=Trigger.IMPORT,
        width=upright.width,
        height=upright.height,
        time_of_day=time_of_day,
        utc_offset=utc_offset,
        expires_at=time.time() + ttl if ttl > 0 else None,
        checksum=hashlib.sha256(data).hexdigest(),
    )
    return image, make_thumbnail(upright, thumbnail_size)


def import_files(
    r: redis.Redis,
    paths: Iterable[Path],
    camera_id: str,
    ttl: int,
    thumbnail_size: int,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
    progress: bool = True,
) -> ImportReport:
    """Import every file under `paths`; Redis errors stop the run, bad files do not.

    `r` should hold one connection (`connect_single`), so the closing WAITAOF covers
    every write of the run.
    """
    report = ImportReport()
    seen: set[str] = set()
    files = list(find_files(paths))
    for path in tqdm(files, desc="importing", unit="file", disable=None if progress else True):
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.rejected.append((path, f"cannot read ({exc.strerror or exc})"))
            continue
        checksum = hashlib.sha256(data).hexdigest()
        if checksum in seen or already_imported(r, checksum, catalogue):
            report.skipped.append(path)
            continue
        try:
            image, thumbnail = describe_file(path, data, camera_id, ttl, thumbnail_size)
        except Rejected as exc:
            report.rejected.append((path, str(exc)))
            continue
        save(r, image, data, thumbnail, catalogue)
        seen.add(checksum)
        report.imported.append(path)
    if report.imported:
        DurableWriter(r, catalogue).confirm()
    return report
