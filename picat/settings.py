"""Configuration from environment variables and an optional `.env` file.

Every setting has a default that works out of the box; the README lists them all.
Only what every command may need is read here (where Redis is, where data lives);
capture's variables (`IMAGE_TTL`, `CAMERA_ID`, `CAPTURE_INTERVAL`, ...) are read
by `picat.capture.settings`, so a bad one stops only the commands that capture or
import, not `picat schema show`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit, urlunsplit

from dotenv import load_dotenv

if TYPE_CHECKING:
    from picat.schema import Catalogue

DEFAULT_REDIS_PORT = 6379

T = TypeVar("T")


def _data_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "pi-catalogue"


def port_number(text: str) -> int:
    """A TCP port, 1-65535 (also an argparse `type`); raises ValueError otherwise."""
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError(f"{text!r} is not a TCP port number 1-65535")
    return port


def env_setting(name: str, default: T, parse: Callable[[str], T], expected: str) -> T:
    """The variable parsed by `parse`, `default` when unset; anything else stops the
    command with a message that names the variable (`parse` raises ValueError)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse(raw)
    except ValueError:
        raise SystemExit(f"{name} must be {expected}, got {raw!r}") from None


def bounded(parse: Callable[[str], T], low: float, high: float) -> Callable[[str], T]:
    """`parse`, refusing values outside `low`..`high`."""

    def check(text: str) -> T:
        value = parse(text)
        if not low <= value <= high:  # type: ignore[operator]
            raise ValueError(text)
        return value

    return check


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


_SIZE_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
               "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
               "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
MIN_MEMORY_BUDGET = 32 * 10**6
"""Below this Redis and the index alone would fill the budget."""


def byte_size(text: str) -> int:
    """`2GB`, `1.5 GB`, `500MB`, `2GiB` or a number of bytes; raises ValueError otherwise."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    if not match or match[2].upper() not in _SIZE_UNITS:
        raise ValueError(text)
    size = int(float(match[1]) * _SIZE_UNITS[match[2].upper()])
    if size < MIN_MEMORY_BUDGET:
        raise ValueError(text)
    return size


@dataclass(frozen=True)
class Settings:
    redis_url: str | None
    data_dir: Path
    redis_port: int
    image_store: str = "redis"
    """`IMAGE_STORE`: where new originals go (`redis`, `file:DIR`, `s3://bucket/prefix`)."""
    memory_budget: int | None = None
    """PICAT_MEMORY_BUDGET in bytes; None: the embedded server's default, or an
    external server's own maxmemory."""

    def catalogue(self) -> Catalogue:
        """The product's catalogue, with new originals going to `IMAGE_STORE`."""
        from picat.schema import Catalogue
        from picat.schema.originals import open_store

        return Catalogue(originals=open_store(self.image_store))

    @property
    def effective_redis_url(self) -> str:
        """The URL every command talks to: `REDIS_URL`, else the embedded server."""
        return self.redis_url or f"redis://127.0.0.1:{self.redis_port}/0"


def load_settings() -> Settings:
    """Read the environment, after merging a `.env` file from the working directory."""
    load_dotenv(Path.cwd() / ".env", override=False)
    return Settings(
        redis_url=os.environ.get("REDIS_URL") or None,
        data_dir=Path(os.environ.get("PICAT_DATA_DIR") or _data_home()),
        redis_port=env_setting(
            "PICAT_REDIS_PORT", DEFAULT_REDIS_PORT, port_number, "a TCP port number 1-65535"
        ),
        image_store=env_setting(
            "IMAGE_STORE", "redis", _store_spec,
            "redis, file:/path/to/folder or s3://bucket/prefix",
        ),
        memory_budget=memory_budget(),
    )


def memory_budget() -> int | None:
    """`PICAT_MEMORY_BUDGET` in bytes, None when unset."""
    return env_setting(
        "PICAT_MEMORY_BUDGET", None, byte_size,
        "a size of at least 32MB such as 2GB, 500MB or 1.5GiB",
    )


@dataclass(frozen=True)
class PictureLimits:
    """The largest picture the catalogue takes (import, capture) and the gallery decodes.

    A 13000x13000 PNG needs 1.4 GB to decode and a 200 MB file 200 MB to hold: the
    limits keep one picture's cost to one process well under its other needs.
    """

    max_bytes: int
    max_pixels: int


DEFAULT_MAX_PICTURE_MB = 50
DEFAULT_MAX_MEGAPIXELS = 64
DEFAULT_PICTURE_LIMITS = PictureLimits(
    DEFAULT_MAX_PICTURE_MB * 2**20, DEFAULT_MAX_MEGAPIXELS * 10**6
)


def picture_limits() -> PictureLimits:
    """`PICAT_MAX_PICTURE_MB` (file size) and `PICAT_MAX_PICTURE_MEGAPIXELS` (width x height)."""
    megabytes = env_setting("PICAT_MAX_PICTURE_MB", DEFAULT_MAX_PICTURE_MB,
                            bounded(int, 1, 4096), "a whole number of megabytes, 1-4096")
    megapixels = env_setting("PICAT_MAX_PICTURE_MEGAPIXELS", DEFAULT_MAX_MEGAPIXELS,
                             bounded(int, 1, 1000), "a whole number of megapixels, 1-1000")
    return PictureLimits(megabytes * 2**20, megapixels * 10**6)


def _store_spec(text: str) -> str:
    from picat.schema.originals import StoreSpecError, parse_spec

    try:
        parse_spec(text)
    except StoreSpecError as exc:
        raise ValueError(text) from exc
    return text
