"""FT.SEARCH argv, run and parsed; every command run is recorded for the page to show.

A query returns ids only (`NOCONTENT`), and the rows' metadata come from the
hashes themselves (never the binary fields), in the same round trip: a read-only
Redis function runs the FT.SEARCH shown to the user and reads each hash it returns
(`store.search_rows`, `functions`). `RETURN` would give the fields without it, but
RediSearch formats returned numbers with 12 significant digits (`1736091456.413`
comes back as `1736091456.41`), and paging needs the exact values the index holds
to resume at the right place.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import redis

from .. import functions
from ..catalogue import Catalogue
from ..ids import is_valid_image_id
from ..index import render_command as _render
from ..model import Image
from ..store import image_from_row, search_rows
from .errors import QueryTimeout
from .text import LUX, TIMESTAMP

DIALECT = ("DIALECT", "2")
_TIMESTAMP_AT = Image.METADATA_FIELDS.index(TIMESTAMP)
_LUX_AT = Image.METADATA_FIELDS.index(LUX)


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


def extreme_argv(index: str, query: str, field_name: str, largest: bool) -> list[str]:
    return [
        "FT.AGGREGATE", index, query, "GROUPBY", "0",
        "REDUCE", "MAX" if largest else "MIN", "1", f"@{field_name}", "AS", "value", *DIALECT,
    ]


def count_argv(index: str, query: str) -> list[str]:
    """Counts without fetching or sorting; `LIMIT 0 0` is never cut by MAXSEARCHRESULTS."""
    return ["FT.SEARCH", index, query, "NOCONTENT", "LIMIT", "0", "0", *DIALECT]


@dataclass(frozen=True)
class Unreadable:
    """A hash under the prefix whose name is not an image id (e.g. `image:foo`).

    It cannot be shown or linked, but it holds a place in the index's order: paging
    carries its sort values so a slab of them is stepped past, never read again.
    """

    pk: str
    timestamp: float
    lux: float | None


Row = Image | Unreadable


def _number(value: bytes | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@contextmanager
def _timeouts() -> Iterator[None]:
    """A server-side timeout of a search becomes `QueryTimeout` (a 503)."""
    try:
        yield
    except redis.ResponseError as exc:
        if "timeout" in str(exc).lower():
            raise QueryTimeout(
                "the search took too long and was stopped; narrow the filters or try again"
            ) from exc
        raise


def execute(r: redis.Redis, argv: list[str]) -> Any:
    """Run one search command; a server-side timeout becomes `QueryTimeout` (a 503).

    It runs through the catalogue's read functions (`functions.search`), which the web
    role must use: they keep the server's time limit and never return picture bytes.
    """
    with _timeouts():
        return functions.call(r, "query", (), argv)


@dataclass
class Runner:
    """Runs queries on one catalogue and keeps the argv of each call, in order."""

    r: redis.Redis
    catalogue: Catalogue
    commands: list[list[str]] = field(default_factory=list)

    def _execute(self, argv: list[str]) -> list:
        self.commands.append(argv)
        return execute(self.r, argv)

    def rows(
        self, query: str, *, sort_field: str | None, descending: bool, limit: int
    ) -> tuple[int, list[Row]]:
        """(total matching, the first `limit` rows in the server's order).

        The search and the reading of its hashes are one round trip
        (`store.search_rows`). A key whose name is not an image id comes back as
        `Unreadable`, for paging to step past; a hash without metadata is left out.
        """
        argv = search_argv(
            self.catalogue.index, query, sort_field=sort_field, descending=descending,
            limit=limit,
        )
        self.commands.append(argv)
        with _timeouts():
            total, found = search_rows(self.r, argv[1:])
        now = time.time()
        rows: list[Row] = []
        for row in found:
            image_id = row.key.decode().removeprefix(self.catalogue.prefix)
            if is_valid_image_id(image_id):
                if any(value is not None for value in row.values):
                    rows.append(image_from_row(image_id, row.values, row.pttl, now))
                continue
            timestamp, lux = row.values[_TIMESTAMP_AT], row.values[_LUX_AT]
            if timestamp is not None or lux is not None:
                rows.append(Unreadable(image_id, _number(timestamp) or 0.0, _number(lux)))
        return total, rows

    def extreme(self, query: str, field_name: str, largest: bool) -> float | None:
        """The largest or smallest value of a field among the matches; None if none match.

        One pass over the matches without sorting: the cheapest way RediSearch offers
        to find where an order starts when the sort runs from an open end.
        """
        reply = self._execute(extreme_argv(self.catalogue.index, query, field_name, largest))
        if len(reply) < 2:
            return None
        row = reply[1]
        return float(dict(zip(row[0::2], row[1::2], strict=True))[b"value"])

    def count(self, query: str) -> int:
        return int(self._execute(count_argv(self.catalogue.index, query))[0])
