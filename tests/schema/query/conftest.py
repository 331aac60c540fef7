"""A camera for the query tests: it writes pictures (`factories.picture`, placeholder bytes:
no test here decodes them) into the test's private catalogue and returns, for each, the
values a test needs to predict a page (`Shot`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

import pytest
import redis

from picat.schema import Catalogue
from picat.schema.clock import local_time_fields
from picat.schema.store import save

from ...factories import picture, save_seed_picture


@dataclass(frozen=True)
class Shot:
    """What a test needs to predict a view: the id and the filterable values."""

    id: str
    timestamp: float
    lux: float | None
    camera: str | None
    time_of_day: int | None


@dataclass
class Camera:
    r: redis.Redis
    catalogue: Catalogue
    tz: tzinfo | None = None

    def shoot(
        self, timestamp: float, lux: float | None = 10.0, camera: str | None = "cam-a",
    ) -> Shot:
        tod, offset = local_time_fields(timestamp, self.tz)
        image = picture(
            timestamp, lux=lux, camera=camera, trigger="interval", time_of_day=tod,
            utc_offset=offset,
        )
        save(self.r, image, b"\xff\xd8jpeg", b"\xff\xd8thumb", self.catalogue)
        return Shot(image.pk, timestamp, lux, camera, tod)

    def seed_format(self, timestamp: int, lux: int) -> Shot:
        """A hash as the seed project wrote it: `image:<unix seconds>`, four fields."""
        save_seed_picture(self.r, self.catalogue, timestamp, lux=lux, data=b"\xff\xd8jpeg")
        return Shot(str(timestamp), float(timestamp), float(lux), None, None)


@pytest.fixture
def camera(r: redis.Redis, catalogue: Catalogue) -> Camera:
    from datetime import UTC

    return Camera(r, catalogue, UTC)
