"""Motion as a frame difference on the low-resolution stream.

Frames are averaged over blocks of pixels before they are compared: sensor noise
is independent from pixel to pixel and averages away, while a moving object
changes whole blocks. Motion is a share of blocks (`threshold`, in percent) whose
brightness moved by more than `CHANGE_LEVEL`; after a detection the detector stays
quiet for `cooldown` seconds, so one visitor gives one picture, not thirty.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

BLOCK = 8
CHANGE_LEVEL = 16.0


def block_means(luma: np.ndarray) -> np.ndarray:
    """The mean of each BLOCK x BLOCK tile (partial tiles at the edges are dropped)."""
    height, width = (luma.shape[0] // BLOCK) * BLOCK, (luma.shape[1] // BLOCK) * BLOCK
    tiles = luma[:height, :width].astype(np.float32)
    return tiles.reshape(height // BLOCK, BLOCK, width // BLOCK, BLOCK).mean(axis=(1, 3))


class MotionDetector:
    def __init__(
        self, threshold: float, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self._previous: np.ndarray | None = None
        self._last_fired: float | None = None

    def changed_percent(self, luma: np.ndarray) -> float:
        """Percent of blocks that changed since the last frame seen (0 for the first frame)."""
        blocks = block_means(luma)
        previous, self._previous = self._previous, blocks
        if previous is None or previous.shape != blocks.shape or blocks.size == 0:
            return 0.0
        return float(np.mean(np.abs(blocks - previous) > CHANGE_LEVEL) * 100)

    def update(self, luma: np.ndarray) -> bool:
        """Feed the next frame; True when it shows motion outside the cool-down."""
        if self.changed_percent(luma) < self.threshold:
            return False
        now = self.clock()
        if self._last_fired is not None and now - self._last_fired < self.cooldown:
            return False
        self._last_fired = now
        return True
