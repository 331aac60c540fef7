"""Originals kept outside Redis, as the gallery serves them.

By default the gallery streams the blob itself (`IMAGE_STORE_PRESIGN=0`): the same
login, the same caching headers and ETag as a picture kept in Redis, and it works
when the bucket is reachable only from the server (a SeaweedFS on localhost, a
private network), which is the common case for a Pi. With `IMAGE_STORE_PRESIGN=N`
and an S3 store, an original is answered with a redirect to a presigned URL valid
for N seconds, so the bytes go from the bucket to the browser without passing
through the Pi; the login is still checked before the URL is made.
"""

from __future__ import annotations

from flask import Response, abort, current_app, redirect

from picat.schema import Image, store
from picat.schema.originals import Blob, StoreUnavailable

from . import media
from .backend import backend


def presigned(image: Image, variant: str) -> Response | None:
    """A redirect to the blob in its bucket, when presigning is on and the store can."""
    seconds = int(current_app.config.get("IMAGE_STORE_PRESIGN", 0))
    if not seconds:
        return None
    blob_store = store.blob_store_of(image, backend().catalogue)
    if blob_store is None:
        return None
    filename = media.download_name(image) if variant == "download" else None
    url = blob_store.presign(image.blob_key or "", seconds, filename)
    if url is None:
        return None
    response = redirect(url, 307)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def open_or_abort(image: Image) -> Blob:
    """The original for streaming; 404 if its blob is missing, 503 if its store is down."""
    db = backend()
    try:
        blob = store.open_original(db.redis, image, db.catalogue)
    except StoreUnavailable:
        abort(503, "The image store does not answer: try again in a moment.")
    if blob is None:
        abort(404, f"The original of picture {image.pk} is missing; its thumbnail is kept.")
    return blob
