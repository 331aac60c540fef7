"""Image bytes: full pictures, thumbnails and downloads, cacheable forever.

Ids never change content, so each response carries a strong ETag derived from the
id and `Cache-Control: immutable`; a revalidation is answered with 304 before the
bytes are read from Redis. Hashes from the seed project have no thumbnail: one is
made from the full image on first request and stored for the next.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import redis
from flask import Blueprint, Response, abort, current_app, request

from picat.schema import IMAGE_DATA, THUMBNAIL, Image, store
from picat.schema.originals import StoreUnavailable

from . import media, originals
from .backend import backend, image_or_404

bp = Blueprint("images", __name__)
log = logging.getLogger(__name__)

# `private`: the gallery may sit behind a login, so no shared cache (a proxy, a
# tunnel) may keep a copy to hand to someone else.
CACHE_FOREVER = "private, max-age=31536000, immutable"


def _etag(image: Image, variant: str) -> str:
    return f"{image.pk}-{variant}"


def _media_response(image: Image, variant: str, body: bytes | None, mime_type: str) -> Response:
    response = Response(body, mimetype=mime_type)
    response.set_etag(_etag(image, variant))
    response.last_modified = datetime.fromtimestamp(image.timestamp, UTC)
    response.headers["Cache-Control"] = CACHE_FOREVER
    if mime_type == media.OPAQUE_TYPE or variant == "download":
        response.headers["Content-Disposition"] = (
            f'attachment; filename="{media.download_name(image)}"'
        )
    return response


def _not_modified(image: Image, variant: str) -> Response | None:
    """A 304 when the browser already holds this variant, without reading the bytes."""
    if not request.if_none_match.contains(_etag(image, variant)):
        return None
    response = Response(status=304)
    response.set_etag(_etag(image, variant))
    response.headers["Cache-Control"] = CACHE_FOREVER
    return response


def _full(image_id: str, variant: str) -> Response:
    image = image_or_404(image_id)
    cached = _not_modified(image, variant)
    if cached is not None:
        return cached
    if image.blob_key:
        return _from_store(image, variant)
    db = backend()
    _refuse_if_too_large(image)
    data = store.load_blob(db.redis, image.pk, IMAGE_DATA, db.catalogue)
    if data is None:
        abort(404, f"Picture {image.pk} has no image data.")
    response = _media_response(image, variant, data, media.served_type(image.mime_type))
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))


def _refuse_if_too_large(image: Image) -> None:
    """A 422 for a stored picture above PICAT_MAX_PICTURE_MB, asked before reading it:
    a hash written by hand or before the limit could hold 200 MB, which one request
    would copy into this process (several at once, several times over)."""
    db = backend()
    if image.blob_key:  # in a folder or bucket: its size is in the hash
        size, where = image.blob_size or 0, f"the image store (key {image.blob_key})"
    else:
        size = store.blob_size(db.redis, image.pk, IMAGE_DATA, db.catalogue)
        where = f"redis-cli (HGET {db.catalogue.key(image.pk)} image_data)"
    limit = current_app.config["PICAT_MAX_PICTURE_BYTES"]
    if size > limit:
        abort(422, f"Picture {image.pk} is {size / 2**20:.0f} MB, more than the gallery serves "
                   f"(PICAT_MAX_PICTURE_MB {limit / 2**20:g}): read it with {where}.")


def _from_store(image: Image, variant: str) -> Response:
    """An original kept in a folder or bucket: streamed, or a presigned redirect."""
    moved = originals.presigned(image, variant)
    if moved is not None:
        return moved
    blob = originals.open_or_abort(image)
    response = _media_response(image, variant, blob.chunks, media.served_type(image.mime_type))
    response.content_length = blob.size
    return response.make_conditional(request, accept_ranges=True, complete_length=blob.size)


@bp.get("/images/<image_id>/image")
def full_image(image_id: str) -> Response:
    """The picture itself, shown inline when its stored type is an allowed image type."""
    return _full(image_id, "image")


@bp.get("/images/<image_id>/download")
def download(image_id: str) -> Response:
    """The same bytes as an attachment named after camera and time."""
    return _full(image_id, "download")


def _keep_thumbnail(image_id: str, data: bytes) -> None:
    """Store a thumbnail made now for the next request; if Redis refuses (maxmemory),
    serve it anyway and log why, never the command (redis-py's message quotes it,
    thumbnail bytes and all)."""
    db = backend()
    try:
        store.store_thumbnail(db.redis, image_id, data, db.catalogue)
    except redis.ResponseError as exc:
        reason = str(exc).rpartition("caused error: ")[2][:200]
        log.warning("thumbnail of %s made but not stored: %s", image_id, reason)


@bp.get("/images/<image_id>/thumbnail")
def thumbnail(image_id: str) -> Response:
    """The small JPEG for the grid, generated and stored once if the hash has none."""
    image = image_or_404(image_id)
    cached = _not_modified(image, "thumbnail")
    if cached is not None:
        return cached
    db = backend()
    data = store.load_blob(db.redis, image.pk, THUMBNAIL, db.catalogue)
    if data is None:
        _refuse_if_too_large(image)
        try:
            full = store.load_original(db.redis, image, db.catalogue)
        except StoreUnavailable:
            abort(503, "The image store does not answer: try again in a moment.")
        try:
            data = media.make_thumbnail(full, current_app.config["PICAT_MAX_PICTURE_PIXELS"]
                                        ) if full else None
        except media.TooLarge as exc:
            abort(422, f"Picture {image.pk} has {exc}, too many to make a thumbnail of "
                       "(PICAT_MAX_PICTURE_MEGAPIXELS).")
        if data is None:
            abort(404, f"Picture {image.pk} cannot be shown as a thumbnail.")
        # Redis full: shown all the same, stored on a later view once there is room.
        _keep_thumbnail(image.pk, data)
    response = _media_response(image, "thumbnail", data, media.sniffed_type(data))
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))
