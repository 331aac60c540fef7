"""Key naming: where a catalogue's hashes and index live in Redis.

`Catalogue()` is the product's contract (`image:<id>` keys, `idx:images` index).
Tests build their own `Catalogue` with a private prefix so they never touch data
they did not create, even on a shared Redis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .ids import validate_image_id

if TYPE_CHECKING:
    from .originals import BlobStore

KEY_PREFIX = "image:"
INDEX_NAME = "idx:images"


STATE_PREFIX = "picat:"


@dataclass(frozen=True)
class Catalogue:
    prefix: str = KEY_PREFIX
    index: str = INDEX_NAME
    originals: BlobStore | None = field(default=None, compare=False)
    """Where new originals go (`IMAGE_STORE`): None keeps them in the hash's `image_data`."""
    state_prefix: str = STATE_PREFIX
    """Keys that are not pictures: retention's lease and the storage numbers it publishes."""

    @property
    def status_key(self) -> str:
        """A hash: memory used, budget, kept pictures, as retention last saw them."""
        return self.state_prefix + "storage"

    @property
    def lease_key(self) -> str:
        """Which process runs retention now (a token with a short expiry)."""
        return self.state_prefix + "retention-lease"

    def key(self, image_id: str) -> str:
        """The hash key for an id; the id is validated first, so no user text leaks in."""
        return self.prefix + validate_image_id(image_id)

    def id_from_key(self, key: str | bytes) -> str:
        if isinstance(key, bytes):
            key = key.decode()
        if not key.startswith(self.prefix):
            raise ValueError(f"{key!r} is not under {self.prefix!r}")
        return validate_image_id(key[len(self.prefix) :])

    @property
    def auth_prefix(self) -> str:
        """Where the gallery keeps login sessions and failure counts, shared by its workers."""
        return f"picat-auth:{self.index}:"

    @property
    def timelapse_prefix(self) -> str:
        """Where the gallery keeps its timelapse jobs (`picat.timelapse.jobs`)."""
        return f"picat-timelapse:{self.index}:"

    def versioned_index(self, version: str) -> str:
        """The concrete index behind the `index` alias, e.g. `idx:images:v-3f9c2a1b`."""
        return f"{self.index}:v-{version}"


DEFAULT_CATALOGUE = Catalogue()
