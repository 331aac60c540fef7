"""Every URL is a page: a fragment asked for without htmx sends the browser to its page.

htmx asks for the gallery's parts (results, the next page, the count, the charts)
with `HX-Request: true`. A shared link, a bookmark, the back button or a click
without JavaScript asks without it, and a bare fragment has no styles, no scripts
and no favicon. Those requests get a redirect (303) to the gallery showing the
same view, scrolled to where the part sits.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec
from urllib.parse import urlencode

from flask import Response, redirect, request, url_for

from .errors import is_fragment_request
from .params import raw_params

P = ParamSpec("P")
CARRIED = ("cursor", "bucket")  # besides the view: where paging starts, the timeline's buckets


def gallery_url(anchor: str = "") -> str:
    """The gallery page for this request's view (and cursor and bucket, when given)."""
    params = raw_params(request.args)
    for name in CARRIED:
        value = request.args.get(name, "").strip()
        if value:
            params[name] = value
    query = urlencode(params)
    return url_for("gallery.index") + (f"?{query}" if query else "") + (
        f"#{anchor}" if anchor else ""
    )


def fragment(anchor: str) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Serve the decorated view to htmx; send anyone else to the page at `#anchor`."""

    def decorate(view: Callable[P, Response]) -> Callable[P, Response]:
        @wraps(view)
        def serve(*args: P.args, **kwargs: P.kwargs) -> Response:
            response = view(*args, **kwargs) if is_fragment_request() else redirect(
                gallery_url(anchor), 303
            )
            response.vary.add("HX-Request")  # one URL, two answers: caches must tell them apart
            return response

        return serve

    return decorate
