"""The gallery's questions as FT.SEARCH queries: filters, keyset paging, counts, neighbours.

Installed as `picat.schema.query`. The web app asks everything through this package
and never writes query text itself; every command run is returned so the page can
show it, ready to paste into `redis-cli`.

Other packages import only the names below (`__all__`), never a module of this
package: the views (`search`, `count`, `count_newer`, `neighbours`); the parsing of
the gallery's parameters into `Filters`; `Constraints`, the query text of some
filters narrowed further (bulk, profile, timeline); and, for searches of their own
(aggregates for charts, counts in a pipeline), the argv builders and `run_search`,
which runs one through the catalogue's read functions.
"""

from .errors import QueryError, QueryTimeout
from .filters import (
    MAX_EXPIRING_HOURS,
    MAX_LIMIT,
    Filters,
    Sort,
    format_time_of_day,
    parse_filters,
    parse_limit,
    parse_sort,
)
from .ftsearch import aggregate_argv, count_argv, render_command, run_search, search_argv
from .text import Constraints, escape_tag
from .views import Page, count, count_newer, neighbours, search

__all__ = [
    "MAX_EXPIRING_HOURS",
    "MAX_LIMIT",
    "Constraints",
    "Filters",
    "Page",
    "QueryError",
    "QueryTimeout",
    "Sort",
    "aggregate_argv",
    "count",
    "count_argv",
    "count_newer",
    "escape_tag",
    "format_time_of_day",
    "neighbours",
    "parse_filters",
    "parse_limit",
    "parse_sort",
    "render_command",
    "run_search",
    "search",
    "search_argv",
]
