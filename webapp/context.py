"""What every view needs from the app: one Redis client and the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from flask import current_app

from picat.schema import Catalogue

EXTENSION = "picat"


@dataclass(frozen=True)
class Gallery:
    redis: redis.Redis
    catalogue: Catalogue


def gallery() -> Gallery:
    """The `Gallery` of the app handling the current request."""
    return current_app.extensions[EXTENSION]
