"""Configuration from environment variables and an optional `.env` file.

Every setting has a default that works out of the box; the README lists them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

DEFAULT_REDIS_PORT = 6379


def _data_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "pi-catalogue"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    redis_url: str | None
    data_dir: Path
    redis_port: int
    image_ttl: int
    camera_id: str
    capture_interval: float

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
        redis_port=_env_int("PICAT_REDIS_PORT", DEFAULT_REDIS_PORT),
        image_ttl=_env_int("IMAGE_TTL", 7 * 24 * 3600),
        camera_id=os.environ.get("CAMERA_ID") or os.uname().nodename,
        capture_interval=_env_float("CAPTURE_INTERVAL", 10.0),
    )
