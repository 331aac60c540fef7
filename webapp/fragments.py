"""Every URL is a page: a fragment asked for without htmx sends the browser to its page.

htmx asks for the gallery's parts (results, the next page, the count, the charts)
with `HX-Request: true`. A shared link, a bookmark, the back button or a click
without JavaScript asks without it, and a bare fragment has no styles, no scripts
and no favicon. Those requests get a redirect (303) to the page that holds the
part (the gallery, a timelapse's page, its form) showing the same view, scrolled to
where the part sits.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec
from urllib.parse import urlencode

from flask import Response, redirect, request, url_for

from .error_pages import is_fragment_request
from .params import raw_params

P = ParamSpec("P")
CARRIED = ("cursor", "bucket")  # besides the view: where paging starts, the timeline's buckets


def page_url(endpoint: str, anchor: str, view_args: dict[str, object]) -> str:
    """The page that holds this request's fragment, showing the same thing.

    The gallery gets the view (and cursor and bucket, when given) in canonical order;
    another page gets the query string as it came.
    """
    if endpoint == "gallery.index":
        params = raw_params(request.args)
        for name in CARRIED:
            value = request.args.get(name, "").strip()
            if value:
                params[name] = value
        query = urlencode(params)
    else:
        query = request.query_string.decode("latin-1")
    return url_for(endpoint, **view_args) + (f"?{query}" if query else "") + (
        f"#{anchor}" if anchor else ""
    )


def fragment(
    anchor: str, page: str = "gallery.index"
) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Serve the decorated view to htmx; send anyone else to `page` at `#anchor`."""

    def decorate(view: Callable[P, Response]) -> Callable[P, Response]:
        @wraps(view)
        def serve(*args: P.args, **kwargs: P.kwargs) -> Response:
            if is_fragment_request():
                response = view(*args, **kwargs)
            else:
                response = redirect(page_url(page, anchor, dict(kwargs)), 303)
            response.vary.add("HX-Request")  # one URL, two answers: caches must tell them apart
            return response

        return serve

    return decorate
