"""The total order of each sort, so every picture has exactly one place in a view.

FT.SEARCH sorts by one field, so ties are broken here: by the next key, then by
image id. Brightest and darkest order the pictures that have a lux value first and
then, as a second segment, the ones that have none (imports), newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .commands import Row
from .filters import Sort
from .text import LUX, TIMESTAMP


@dataclass(frozen=True)
class Key:
    field: str
    descending: bool

    def flipped(self) -> Key:
        return Key(self.field, not self.descending)


@dataclass(frozen=True)
class Segment:
    """Pictures ordered by `keys` then id (in the last key's direction).

    `missing` names a field these pictures lack; the segment is then restricted to them.
    """

    keys: tuple[Key, ...]
    missing: str | None = None

    @property
    def ids_descending(self) -> bool:
        return self.keys[-1].descending

    def flipped(self) -> Segment:
        return Segment(tuple(key.flipped() for key in self.keys), self.missing)

    def values(self, image: Row) -> tuple[float, ...]:
        return tuple(float(getattr(image, key.field)) for key in self.keys)

    def follows(
        self, image: Row, values: tuple[float, ...], image_id: str, level: int
    ) -> bool:
        """Whether `image` comes after the position (`values` of keys `level`.., id)."""
        for key, value in zip(self.keys[level:], values, strict=True):
            mine = float(getattr(image, key.field))
            if mine != value:
                return mine < value if key.descending else mine > value
        return image.pk < image_id if self.ids_descending else image.pk > image_id

    def sort(self, images: Sequence[Row], level: int = 0) -> list[Row]:
        """`images` in this segment's order, from key `level` down (two stable sorts)."""
        by_id = sorted(images, key=lambda image: image.pk, reverse=self.ids_descending)
        keys = self.keys[level:]
        return sorted(
            by_id,
            key=lambda image: tuple(
                -getattr(image, k.field) if k.descending else getattr(image, k.field)
                for k in keys
            ),
        )


NEWEST = Key(TIMESTAMP, descending=True)
_LIT = (Key(LUX, descending=True), NEWEST)

ORDERS: dict[Sort, tuple[Segment, ...]] = {
    Sort.NEWEST: (Segment((NEWEST,)),),
    Sort.OLDEST: (Segment((NEWEST.flipped(),)),),
    Sort.BRIGHTEST: (Segment(_LIT), Segment((NEWEST,), missing=LUX)),
    Sort.DARKEST: (Segment((_LIT[0].flipped(), NEWEST)), Segment((NEWEST,), missing=LUX)),
}


def reversed_order(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
    """The exact reverse order, for "previous" in the picture view."""
    return tuple(segment.flipped() for segment in reversed(segments))
