"""Full-size test pictures that weigh what camera photos weigh.

A flat synthetic scene compresses far better than a photo, which would flatter
every byte count. Natural images have a power spectrum close to 1/f^2, so these
pictures are coloured noise with a natural-looking falling spectrum, saved as
camera JPEGs (quality 90, the capture default), its slope chosen so that a
1640x1232 picture weighs about what the seed's did (its 9-picture page weighed
4.3 MB, about 480 KB a picture).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

SIZE = (1640, 1232)
JPEG_QUALITY = 90
SPECTRUM_SLOPE = 1.4
"""Amplitude falls as 1/f^slope; 1.4 makes a 1640x1232 picture weigh about 0.5 MB."""


def texture(seed: int, size: tuple[int, int] = SIZE) -> np.ndarray:
    """An RGB uint8 array of 1/f noise, each channel partly shared (real colours correlate)."""
    width, height = size
    rng = np.random.default_rng(seed)
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    amplitude = 1.0 / np.maximum(np.hypot(fx, fy), 1.0 / max(width, height)) ** SPECTRUM_SLOPE
    channels = []
    shared = rng.normal(size=amplitude.shape) + 1j * rng.normal(size=amplitude.shape)
    for _ in range(3):
        own = rng.normal(size=amplitude.shape) + 1j * rng.normal(size=amplitude.shape)
        field = np.fft.irfft2((0.8 * shared + 0.45 * own) * amplitude, s=(height, width))
        field = (field - field.mean()) / (field.std() + 1e-9)
        channels.append(field)
    pixels = np.stack(channels, axis=-1) * 45 + rng.uniform(80, 150, size=3)
    return np.clip(pixels, 0, 255).astype(np.uint8)


def jpeg(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    PILImage.fromarray(pixels).save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def photos(count: int, seed: int, size: tuple[int, int] = SIZE) -> Iterator[bytes]:
    """`count` distinct JPEGs: a few textures, each shifted, so all differ in every block."""
    bases = [texture(seed * 1000 + i, size) for i in range(min(4, count))]
    for i in range(count):
        base = bases[i % len(bases)]
        yield jpeg(np.roll(base, shift=(37 * i, 53 * i), axis=(0, 1)))


def write_photos(folder: Path, count: int, seed: int) -> list[Path]:
    """Write `count` photos as `photo-0000.jpg`...; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, data in enumerate(photos(count, seed)):
        path = folder / f"photo-{i:04d}.jpg"
        path.write_bytes(data)
        paths.append(path)
    return paths
