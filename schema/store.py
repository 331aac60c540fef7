"""Reading and writing picture hashes: the only code that touches `image:*` keys.

Capture writes through `save`, the gallery reads and curates through the rest;
both go through a `Catalogue`, so ids are validated before a key is built.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis

from . import functions
from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .model import IMAGE_DATA, THUMBNAIL, Image


def save(
    r: redis.Redis,
    image: Image,
    image_data: bytes,
    thumbnail: bytes | None,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> None:
    """Write a picture and its expiry in one MULTI/EXEC, so no hash lives without its TTL.

    `image.expires_at` (Unix seconds) becomes the key's PEXPIREAT; None keeps it forever.
    Writing the same id again rewrites the same hash, which makes replays idempotent.
    """
    save_many(r, [(image, image_data, thumbnail)], catalogue)


def save_many(
    r: redis.Redis,
    pictures: Sequence[tuple[Image, bytes, bytes | None]],
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> None:
    """Write several (image, image_data, thumbnail) as `save` does, in one MULTI/EXEC.

    One round trip for the lot, and all or none of them is written.
    """
    with r.pipeline(transaction=True) as pipe:
        for image, image_data, thumbnail in pictures:
            key = catalogue.key(image.pk)
            fields: dict[str, bytes | str] = dict(image.to_fields())
            fields[IMAGE_DATA] = image_data
            if thumbnail is not None:
                fields[THUMBNAIL] = thumbnail
            pipe.delete(key)
            pipe.hset(key, mapping=fields)
            if image.expires_at is not None:
                pipe.pexpireat(key, int(image.expires_at * 1000))
        pipe.execute()


def _with_expiry(image: Image, pttl: int, now: float) -> Image:
    """The key's TTL decides: seed hashes expire without an `expires_at` field, and a
    picture made persistent outside the gallery keeps one that no longer applies."""
    if pttl < 0:
        return image if image.expires_at is None else image.model_copy(update={"expires_at": None})
    if image.expires_at is not None:
        return image
    return image.model_copy(update={"expires_at": now + pttl / 1000})


def load(r: redis.Redis, image_id: str, catalogue: Catalogue = DEFAULT_CATALOGUE) -> Image | None:
    """The metadata of one picture (never its bytes), or None if it does not exist."""
    found = load_many(r, [image_id], catalogue)
    return found[0] if found else None


@dataclass(frozen=True)
class FoundRow:
    """One hash a search returned: its key, its metadata in `Image.METADATA_FIELDS` order,
    and its PTTL."""

    key: bytes
    values: list[bytes | None]
    pttl: int


def image_from_row(image_id: str, values: Sequence[bytes | None], pttl: int, now: float) -> Image:
    """The picture a row of `Image.METADATA_FIELDS` values describes, expiring as its TTL says."""
    fields = dict(zip(Image.METADATA_FIELDS, values, strict=True))
    return _with_expiry(Image.from_fields(image_id, fields), pttl, now)


def load_many(
    r: redis.Redis, image_ids: list[str], catalogue: Catalogue = DEFAULT_CATALOGUE
) -> list[Image]:
    """Metadata for several ids in one round trip, skipping ids that have gone."""
    if not image_ids:
        return []
    keys = [catalogue.key(image_id) for image_id in image_ids]
    rows = functions.call(r, "read_rows", keys, Image.METADATA_FIELDS)
    now = time.time()
    return [
        image_from_row(image_id, values, pttl, now)
        for image_id, (*values, pttl) in zip(image_ids, rows, strict=True)
        if any(value is not None for value in values)
    ]


def search_rows(r: redis.Redis, search: Sequence[str]) -> tuple[int, list[FoundRow]]:
    """Run `FT.SEARCH <search...>` (with NOCONTENT) and read what every hash it returns
    holds, in one round trip: (total matching, the rows in the search's order)."""
    found, rows = functions.call(
        r, "search_rows", (), (str(len(search)), *search, *Image.METADATA_FIELDS)
    )
    return int(found[0]), [
        FoundRow(key, values, pttl) for key, (*values, pttl) in zip(found[1:], rows, strict=True)
    ]


def load_blob(
    r: redis.Redis, image_id: str, field: str, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> bytes | None:
    """The raw bytes of `image_data` or `thumbnail`."""
    if field not in (IMAGE_DATA, THUMBNAIL):
        raise ValueError(f"{field!r} is not a binary field")
    return r.hget(catalogue.key(image_id), field)


def store_thumbnail(
    r: redis.Redis, image_id: str, thumbnail: bytes, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> bool:
    """Add a thumbnail made after the fact (seed hashes have none); never creates a hash."""
    key = catalogue.key(image_id)

    def write_if_present(pipe: redis.client.Pipeline) -> bool:
        if not pipe.exists(key):
            return False
        pipe.multi()
        pipe.hset(key, THUMBNAIL, thumbnail)
        return True

    return bool(r.transaction(write_if_present, key, value_from_callable=True))


_PAST_MS = 1
"""PEXPIREAT to 1 ms after the epoch: "already expired", so Redis deletes the key at once."""


@dataclass(frozen=True)
class Deleted:
    """What `delete_pictures` did: the ids it deleted, and how many it spared as kept."""

    ids: list[str]
    kept: int = 0


def delete_pictures(
    r: redis.Redis,
    image_ids: Sequence[str],
    *,
    include_kept: bool,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> Deleted:
    """Delete these pictures in one round trip: the one delete every path uses (a picture's
    page, bulk curation, retention), so whatever else a picture owns goes with it here.

    Kept pictures (no TTL) go only with `include_kept`. Otherwise each key gets
    `PEXPIREAT key 1 XX`: `XX` skips a key without expiry, so the check and the delete
    are one atomic command, even if someone keeps the picture at the same moment.
    Neither DEL nor PEXPIREAT is refused when Redis is at its `maxmemory`.
    """
    keys = [catalogue.key(image_id) for image_id in image_ids]
    if not keys:
        return Deleted([])
    with r.pipeline(transaction=False) as pipe:
        for key in keys:
            if include_kept:
                pipe.delete(key)
            else:
                pipe.pexpireat(key, _PAST_MS, xx=True)
                pipe.exists(key)
        replies = pipe.execute()
    if include_kept:
        return Deleted([i for i, gone in zip(image_ids, replies, strict=True) if int(gone)])
    gone, stayed = replies[0::2], replies[1::2]
    return Deleted(
        [i for i, went in zip(image_ids, gone, strict=True) if int(went)],
        kept=sum(int(n) for n in stayed),
    )


def delete(r: redis.Redis, image_id: str, catalogue: Catalogue = DEFAULT_CATALOGUE) -> bool:
    """Delete one picture, kept or not; False if it was not there."""
    return bool(delete_pictures(r, [image_id], include_kept=True, catalogue=catalogue).ids)


def keep(r: redis.Redis, image_id: str, catalogue: Catalogue = DEFAULT_CATALOGUE) -> bool:
    """Remove the TTL so the picture is never expired; False if it does not exist."""
    key = catalogue.key(image_id)
    with r.pipeline(transaction=True) as pipe:
        pipe.exists(key)
        pipe.persist(key)
        pipe.hdel(key, "expires_at")
        exists, _, _ = pipe.execute()
    return bool(exists)
