"""Reading and writing picture hashes: the only code that touches `image:*` keys.

Capture writes through `save`, the gallery reads and curates through the rest;
both go through a `Catalogue`, so ids are validated before a key is built.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import redis

from . import functions, originals, summary
from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .model import IMAGE_DATA, THUMBNAIL, Image
from .replies import text

log = logging.getLogger(__name__)


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

    One round trip for the lot, and all or none of them is written, with their
    entries in the catalogue's summary (`summary.record`). With an external
    store (`catalogue.originals`) every original is written there, and confirmed,
    before any hash: a crash in between leaves an orphan blob (the sweep removes it),
    never a hash that points at nothing. Raises `originals.StoreUnavailable` before
    touching Redis when the store fails.
    """
    hashes = [_hash_fields(image, image_data, thumbnail, catalogue)
              for image, image_data, thumbnail in pictures]
    with r.pipeline(transaction=True) as pipe:
        for (image, _, _), fields in zip(pictures, hashes, strict=True):
            key = catalogue.key(image.pk)
            pipe.delete(key)
            pipe.hset(key, mapping=fields)
            if image.expires_at is not None:
                pipe.pexpireat(key, int(image.expires_at * 1000))
            summary.record(pipe, image, catalogue)
        pipe.execute()


def _hash_fields(
    image: Image, image_data: bytes, thumbnail: bytes | None, catalogue: Catalogue
) -> dict[str, bytes | str]:
    """The hash of one picture; its original written to the external store first, if any."""
    fields: dict[str, bytes | str] = dict(image.to_fields())
    store = catalogue.originals
    if store is None:
        fields[IMAGE_DATA] = image_data
        for name in Image.BLOB_REFERENCE:
            fields.pop(name, None)
    else:
        key = catalogue.key(image.pk)
        store.put(key, image_data)
        fields.update(
            blob_store=store.spec, blob_key=key, blob_size=str(len(image_data)),
            checksum=image.checksum or originals.checksum(image_data),
        )
    if thumbnail is not None:
        fields[THUMBNAIL] = thumbnail
    return fields


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


def search_rows(
    r: redis.Redis, boxes: Sequence[Sequence[str]], need: int
) -> list[list[FoundRow]]:
    """Run the `FT.AGGREGATE <box...>`s (each loading `@__key`) in turn until their rows
    reach `need`, and read what every hash they return holds, in one round trip: for
    each box that ran, its rows in its order."""
    args = [str(need), str(len(boxes))]
    for box in boxes:
        args += [str(len(box)), *box]
    replies, rows = functions.call(r, "search_rows", (), (*args, *Image.METADATA_FIELDS))
    out, taken = [], 0
    for keys in replies:
        out.append([
            FoundRow(key, values, pttl)
            for key, (*values, pttl) in zip(keys, rows[taken:taken + len(keys)], strict=True)
        ])
        taken += len(keys)
    return out


def blob_store_of(image: Image, catalogue: Catalogue) -> originals.BlobStore | None:
    """The store holding this picture's original; None when it is the hash's `image_data`."""
    if not image.blob_store or not image.blob_key:
        return None
    return originals.store_for(image.blob_store, [catalogue.originals])


def open_original(
    r: redis.Redis, image: Image, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> originals.Blob | None:
    """The picture's original for streaming, wherever it lives; None if it is missing.

    Raises `originals.StoreUnavailable` when its store cannot be reached.
    """
    store = blob_store_of(image, catalogue)
    if store is not None:
        return store.open(image.blob_key or "")
    data = r.hget(catalogue.key(image.pk), IMAGE_DATA)
    return None if data is None else originals.Blob(len(data), iter((data,)))


def load_original(
    r: redis.Redis, image: Image, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> bytes | None:
    """The picture's original bytes, wherever they live; None if missing."""
    blob = open_original(r, image, catalogue)
    return None if blob is None else b"".join(blob.chunks)


def original_state(r: redis.Redis, image: Image, catalogue: Catalogue = DEFAULT_CATALOGUE) -> str:
    """"stored", "missing" (the hash refers to nothing), or "unreachable" (its store is down)."""
    store = blob_store_of(image, catalogue)
    try:
        if store is not None:
            found = store.exists(image.blob_key or "")
        else:
            found = bool(r.hexists(catalogue.key(image.pk), IMAGE_DATA))
    except originals.StoreUnavailable:
        return "unreachable"
    return "stored" if found else "missing"


def load_blob(
    r: redis.Redis, image_id: str, field: str, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> bytes | None:
    """The raw bytes of the `image_data` or `thumbnail` field (see `open_original`)."""
    if field not in (IMAGE_DATA, THUMBNAIL):
        raise ValueError(f"{field!r} is not a binary field")
    return r.hget(catalogue.key(image_id), field)


def blob_size(
    r: redis.Redis, image_id: str, field: str, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> int:
    """The length of `image_data` or `thumbnail` (0 when absent), without reading it."""
    if field not in (IMAGE_DATA, THUMBNAIL):
        raise ValueError(f"{field!r} is not a binary field")
    return int(r.hstrlen(catalogue.key(image_id), field))


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

    Pictures whose original lives in a folder or bucket lose it right after their
    hash (the same round trip reads each hash's `blob_store` and `blob_key` just
    before deleting it): a crash in between leaves an orphan blob for the sweep,
    never a hash without its picture.
    """
    keys = [catalogue.key(image_id) for image_id in image_ids]
    if not keys:
        return Deleted([])
    with r.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.hmget(key, "blob_store", "blob_key")
            if include_kept:
                pipe.delete(key)
            else:
                pipe.pexpireat(key, _PAST_MS, xx=True)
                pipe.exists(key)
        replies = pipe.execute()
    step = 2 if include_kept else 3
    references, gone = replies[0::step], [int(n) for n in replies[1::step]]
    delete_originals([ref for ref, went in zip(references, gone, strict=True) if went], catalogue)
    deleted = [i for i, went in zip(image_ids, gone, strict=True) if went]
    if include_kept:
        return Deleted(deleted)
    return Deleted(deleted, kept=sum(int(n) for n in replies[2::step]))


def delete_originals(
    references: Iterable[Sequence[bytes | str | None]], catalogue: Catalogue
) -> None:
    """Remove the blobs of deleted hashes, given their (blob_store, blob_key) fields.

    A store that fails is logged, not raised: the hashes are gone, the user's delete
    has happened, and the orphan sweep removes what is left once the store answers.
    """
    by_store: dict[str, list[str]] = {}
    for spec, key in references:
        if spec and key:
            by_store.setdefault(text(spec), []).append(text(key))
    for spec, keys in by_store.items():
        try:
            originals.store_for(spec, [catalogue.originals]).delete(keys)
        except (originals.StoreUnavailable, originals.StoreSpecError) as exc:
            log.warning("%d originals stay in %s until the sweep removes them: %s",
                        len(keys), spec, exc)


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
