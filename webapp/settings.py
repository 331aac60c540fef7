"""Settings of the web gallery, read from the environment with working defaults.

`PICAT_SECRET_KEY` signs sessions (CSRF tokens) and paging cursors. Without it a
random key is made once and kept in `<data dir>/secret_key` (mode 0600), so open
pages, bookmarks with cursors and sessions survive a restart of `picat web`.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from picat.schema.bulk import DEFAULT_BATCH
from picat.schema.profile import DEFAULT_DAYS, MAX_DAYS
from picat.settings import bounded, env_setting, memory_budget, picture_limits, port_number

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
SECRET_FILE = "secret_key"


@dataclass(frozen=True)
class WebSettings:
    host: str
    port: int
    secret_key: bytes


def secret_key(data_dir: Path) -> bytes:
    """`PICAT_SECRET_KEY`, else the key in `data_dir/secret_key`, created on first use."""
    from_env = os.environ.get("PICAT_SECRET_KEY", "").strip()
    if from_env:
        return from_env.encode()
    path = Path(data_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_hex(32).encode())
    key = path.read_bytes().strip()
    if not key:
        raise SystemExit(f"{path} is empty: delete it to make a new key, or set PICAT_SECRET_KEY")
    return key


def load_web_settings(data_dir: Path) -> WebSettings:
    return WebSettings(
        host=os.environ.get("PICAT_WEB_HOST", "").strip() or DEFAULT_HOST,
        port=env_setting("PICAT_WEB_PORT", DEFAULT_PORT, port_number, "a whole number 1-65535"),
        secret_key=secret_key(data_dir),
    )


def _digits(text: str) -> int:
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def _whole_number(name: str, default: int, low: int, high: int) -> int:
    return env_setting(
        name, default, bounded(_digits, low, high), f"a whole number from {low} to {high}"
    )


def gallery_limits() -> dict[str, int | None]:
    """`PICAT_BULK_BATCH`, `PICAT_HEATMAP_DAYS`, `IMAGE_STORE_PRESIGN`,
    `PICAT_MEMORY_BUDGET` and the picture limits, checked once when the app is made, so
    a bad value stops `picat web` with a message instead of being ignored."""
    pictures = picture_limits()
    return {
        "PICAT_MEMORY_BUDGET": memory_budget(),
        "PICAT_MAX_PICTURE_BYTES": pictures.max_bytes,
        "PICAT_MAX_PICTURE_PIXELS": pictures.max_pixels,
        "PICAT_BULK_BATCH": _whole_number("PICAT_BULK_BATCH", DEFAULT_BATCH, 1, 10_000),
        "PICAT_HEATMAP_DAYS": _whole_number("PICAT_HEATMAP_DAYS", DEFAULT_DAYS, 1, MAX_DAYS),
        "IMAGE_STORE_PRESIGN": _whole_number("IMAGE_STORE_PRESIGN", 0, 0, 7 * 86400),
    }
