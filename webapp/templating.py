"""What every template can use: human-unit filters, the redis-cli rendering, htmx config."""

from __future__ import annotations

import json

from flask import Flask

from picat.schema.query import render_command

from . import present

HTMX_CONFIG = json.dumps(
    {
        # No injected <style>: the Content-Security-Policy allows no inline styles.
        "includeIndicatorStyles": False,
        "allowEval": False,
        "allowScriptTags": False,
        "selfRequestsOnly": True,
        "historyCacheSize": 10,
        # A 400 carries the message to show next to a filter, a 503 says Redis is away:
        # both are swapped in like any answer; other errors leave the page as it is.
        "responseHandling": [
            {"code": "204", "swap": False},
            {"code": "[23]..", "swap": True},
            {"code": "^(400|503)$", "swap": True},
            {"code": "[45]..", "swap": False, "error": True},
        ],
    },
    separators=(",", ":"),
)


def with_query(url: str, query: str) -> str:
    """`url?query`, or just `url` when there is no query."""
    return f"{url}?{query}" if query else url


def install(app: Flask) -> None:
    app.jinja_env.filters.update(present.FILTERS)
    app.jinja_env.globals["render_command"] = render_command
    app.jinja_env.globals["with_query"] = with_query
    app.jinja_env.globals["htmx_config"] = HTMX_CONFIG
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
