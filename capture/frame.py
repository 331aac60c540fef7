"""What every camera source hands the capture loop: one frame, fully described.

A `Frame` carries the full JPEG, its thumbnail and the metadata of the same
exposure, so nothing downstream needs to know which camera made it. `Camera` is
the small interface the picamera2 adapter and the simulated camera both implement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Frame:
    jpeg: bytes
    thumbnail: bytes
    width: int
    height: int
    timestamp: float
    lux: float | None = None
    exposure_time: int | None = None
    analogue_gain: float | None = None
    colour_temperature: int | None = None
    lens_position: float | None = None


class Camera(Protocol):
    def capture(self) -> Frame:
        """Take one picture now."""
        ...

    def preview(self) -> np.ndarray:
        """The current low-resolution luminance (2-D uint8), for motion detection."""
        ...

    def close(self) -> None: ...
