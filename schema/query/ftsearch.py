"""Search commands as argv: built, run (a server-side timeout says so), printed for `redis-cli`.

Every command is built as a list first so the page that ran it can show it; every
one states the query dialect (`DIALECT 2`), so it reads the same in `redis-cli`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

from .. import functions
from ..index import render_command as _render
from .errors import QueryTimeout

DIALECT = ("DIALECT", "2")


def render_command(argv: list[str]) -> str:
    """One line that `redis-cli` and a POSIX shell both read back as `argv`."""
    return _render(argv)


def search_argv(
    index: str, query: str, *, sort_field: str | None = None, descending: bool = False,
    limit: int = 10, offset: int = 0,
) -> list[str]:
    argv = ["FT.SEARCH", index, query, "NOCONTENT"]
    if sort_field is not None:
        argv += ["SORTBY", sort_field, "DESC" if descending else "ASC"]
    return [*argv, "LIMIT", str(offset), str(limit), *DIALECT]


def count_argv(index: str, query: str) -> list[str]:
    """Counts without fetching or sorting; `LIMIT 0 0` is never cut by MAXSEARCHRESULTS."""
    return ["FT.SEARCH", index, query, "NOCONTENT", "LIMIT", "0", "0", *DIALECT]


def aggregate_argv(index: str, query: str, *steps: str) -> list[str]:
    """`FT.AGGREGATE index query steps... DIALECT 2`: the steps (LOAD, APPLY, GROUPBY,
    SORTBY, LIMIT...) are the caller's; the dialect is the one every search states."""
    return ["FT.AGGREGATE", index, query, *steps, *DIALECT]


@contextmanager
def timeouts() -> Iterator[None]:
    """A server-side timeout of a search becomes `QueryTimeout` (a 503)."""
    try:
        yield
    except redis.ResponseError as exc:
        if "timeout" in str(exc).lower():
            raise QueryTimeout(
                "the search took too long and was stopped; narrow the filters or try again"
            ) from exc
        raise


def run_search(r: redis.Redis, argv: list[str]) -> Any:
    """Run one FT.SEARCH or FT.AGGREGATE; a server-side timeout becomes `QueryTimeout` (a 503).

    It runs through the catalogue's read functions (`functions.search`), which the web
    role must use: they keep the server's time limit and never return picture bytes.
    """
    with timeouts():
        return functions.call(r, "query", (), argv)
