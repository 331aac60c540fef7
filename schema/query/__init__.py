"""The gallery's questions as FT.SEARCH queries: filters, keyset paging, counts, neighbours.

Installed as `picat.schema.query`. The web app asks everything through this package
and never writes query text itself; every command run is returned so the page can
show it, ready to paste into `redis-cli`.
"""

from .errors import QueryError, QueryTimeout
from .filters import Filters, Sort, parse_filters, parse_limit, parse_sort
from .ftsearch import render_command
from .views import Page, count, count_newer, neighbours, search

__all__ = [
    "Filters",
    "Page",
    "QueryError",
    "QueryTimeout",
    "Sort",
    "count",
    "count_newer",
    "neighbours",
    "parse_filters",
    "parse_limit",
    "parse_sort",
    "render_command",
    "search",
]
