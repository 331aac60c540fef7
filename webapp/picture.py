"""One picture (`/images/<id>`, and as JSON `/api/images/<id>`): the full image, its
fields, neighbours, keep and delete.

The gallery's filters ride along in the query string, so previous/next walk the
same selection in the same order and "back" lands on the same view. Keep and
delete are POSTs with a CSRF token; both answer with a redirect (303), so a reload
never repeats them, and only once Redis has the change on disk (`curation`).
"""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from picat.schema import store
from picat.schema.query import neighbours

from . import media
from .backend import backend, image_or_404
from .curation import curator
from .display import images_json, with_query
from .params import parse_view

bp = Blueprint("picture", __name__)

NOT_ON_DISK = " (Redis has not yet confirmed it on disk: a crash now could undo it.)"


@bp.get("/images/<image_id>")
@bp.get("/api/images/<image_id>", endpoint="show_json")
def show(image_id: str) -> Response:
    """The picture page, or at `/api/images/<id>` its metadata and URLs as JSON; both say
    whether its original is `stored`, `missing` (its blob was deleted behind our back) or
    `unreachable` (its store does not answer). On the page, a bad filter parameter (they
    steer previous/next) is a 400 like in the gallery."""
    image = image_or_404(image_id)
    db = backend()
    if request.endpoint == "picture.show_json":
        original = store.original_state(db.redis, image, db.catalogue)
        return jsonify({**images_json([image])[0], "original": original})
    view = parse_view(request.args)
    previous, following = neighbours(
        db.redis, image.pk, view.filters, view.sort, catalogue=db.catalogue
    )
    query = view.query_string()
    return Response(
        render_template(
            "picture.html",
            image=image,
            query=query,
            previous=previous and with_query(url_for(".show", image_id=previous), query),
            following=following and with_query(url_for(".show", image_id=following), query),
            displayable=media.served_type(image.mime_type) != media.OPAQUE_TYPE,
            original=store.original_state(db.redis, image, db.catalogue),
            download_name=media.download_name(image),
            now=time.time(),
        )
    )


@bp.post("/images/<image_id>/keep")
def keep(image_id: str) -> Response:
    """Remove the picture's expiry, so retention never deletes it."""
    image = image_or_404(image_id)
    catalogue = backend().catalogue
    _, on_disk = curator().apply(lambda r: store.keep(r, image.pk, catalogue))
    flash("Kept: this picture will never expire." + ("" if on_disk else NOT_ON_DISK))
    query = parse_view(request.args).query_string()
    return redirect(with_query(url_for(".show", image_id=image.pk), query), 303)


@bp.post("/images/<image_id>/delete")
def delete(image_id: str) -> Response:
    """Delete the picture and go back to the gallery view it was opened from."""
    image = image_or_404(image_id)
    catalogue = backend().catalogue
    _, on_disk = curator().apply(lambda r: store.delete(r, image.pk, catalogue))
    flash("Picture deleted." + ("" if on_disk else NOT_ON_DISK))
    query = parse_view(request.args).query_string()
    return redirect(with_query(url_for("gallery.index"), query), 303)
