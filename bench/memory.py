"""Redis memory per picture beyond the image and thumbnail bytes: the hash and the index.

Three views of the same thing, all from the server: `used_memory` grown by loading,
minus the blob bytes written, per picture (everything: hash, key, index, allocator
rounding); `MEMORY USAGE` of sampled hashes minus their blob lengths (the hash
alone); and the index's own accounting in `FT.INFO`, per document. Two what-ifs
from copies of sampled hashes: the same metadata in a hash without blobs, and a
thumbnail alone as a Redis string, whose cost beyond its length is what the
allocator's size classes charge for storing a blob of that size anywhere in Redis.
"""

from __future__ import annotations

from typing import Any

import redis

from picat.schema import IMAGE_DATA, THUMBNAIL, Catalogue, index

SAMPLE = 500
INDEX_MEMORY_FIELDS = (
    "inverted_sz_mb",
    "offset_vectors_sz_mb",
    "doc_table_size_mb",
    "sortable_values_size_mb",
    "key_table_size_mb",
    "tag_overhead_sz_mb",
    "text_overhead_sz_mb",
    "total_index_memory_sz_mb",
    "geoshapes_sz_mb",
    "vector_index_sz_mb",
)


def used_memory(r: redis.Redis) -> int:
    return int(r.info("memory")["used_memory"])


def _number(value: Any) -> float:
    text = value.decode() if isinstance(value, bytes) else str(value)
    try:
        return float(text)
    except ValueError:
        return 0.0


def _metadata_only_hash(r: redis.Redis, catalogue: Catalogue) -> float:
    """MEMORY USAGE of copies of sampled hashes without their blobs, then deleted.

    Without a field over 64 bytes Redis keeps a hash as a compact listpack: this is
    what the metadata would cost if the blobs lived in keys of their own. The copies
    live outside the index's prefix.
    """
    sizes = []
    for number in range(min(SAMPLE // 5, 100)):
        key = r.randomkey()
        if key is None or not key.decode().startswith(catalogue.prefix):
            continue
        fields = r.hgetall(key)
        for blob in (IMAGE_DATA, THUMBNAIL):
            fields.pop(blob.encode(), None)
        copy = f"bench-metadata-only:{number}"
        r.hset(copy, mapping=fields)
        sizes.append(int(r.memory_usage(copy, samples=0) or 0))
        r.delete(copy)
    return sum(sizes) / max(len(sizes), 1)


def _thumbnail_alone(r: redis.Redis, catalogue: Catalogue) -> float:
    """MEMORY USAGE minus length of sampled thumbnails copied to string keys, then deleted."""
    extras = []
    for number in range(min(SAMPLE // 5, 100)):
        key = r.randomkey()
        if key is None or not key.decode().startswith(catalogue.prefix):
            continue
        thumbnail = r.hget(key, THUMBNAIL)
        if not thumbnail:
            continue
        copy = f"bench-thumbnail-only:{number}"
        r.set(copy, thumbnail)
        extras.append(int(r.memory_usage(copy, samples=0) or 0) - len(thumbnail))
        r.delete(copy)
    return sum(extras) / max(len(extras), 1)


def per_picture(
    r: redis.Redis, catalogue: Catalogue, used_before: int, blob_bytes: int, pictures: int
) -> dict[str, Any]:
    grown = used_memory(r) - used_before
    hash_overheads = []
    for _ in range(min(SAMPLE, pictures)):
        key = r.randomkey()
        if key is None or not key.decode().startswith(catalogue.prefix):
            continue
        usage = int(r.memory_usage(key, samples=0) or 0)
        blobs = r.hstrlen(key, IMAGE_DATA) + r.hstrlen(key, THUMBNAIL)
        hash_overheads.append(usage - blobs)
    metadata_only = _metadata_only_hash(r, catalogue)
    info = index.index_info(r, catalogue.index) or {}
    index_mb = {name: _number(info[name]) for name in INDEX_MEMORY_FIELDS if name in info}
    own_total = index_mb.get("total_index_memory_sz_mb") or sum(
        value for name, value in index_mb.items() if name != "total_index_memory_sz_mb"
    )
    return {
        "used_memory_grown_bytes": grown,
        "blob_bytes": blob_bytes,
        "overhead_per_picture_bytes": (grown - blob_bytes) / pictures,
        "hash_overhead_per_picture_bytes": sum(hash_overheads) / max(len(hash_overheads), 1),
        "index_per_picture_bytes_ft_info": own_total * 1024 * 1024 / pictures,
        "metadata_only_hash_bytes": metadata_only,
        "thumbnail_alone_extra_bytes": _thumbnail_alone(r, catalogue),
        "ft_info_mb": index_mb,
    }
