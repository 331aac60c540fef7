"""FT.SEARCH argv, run and parsed; every command run is recorded for the page to show.

A query returns ids only (`NOCONTENT`); the rows' metadata then come from the
hashes in one round trip (`store.load_many`; never the binary fields). `RETURN` would save that
round trip, but RediSearch formats returned numbers with 12 significant digits
(`1736091456.413` comes back as `1736091456.41`), and paging needs the exact
values the index holds to resume at the right place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis

from ..catalogue import Catalogue
from ..ids import is_valid_image_id
from ..index import render_command as _render
from ..model import Image
from ..store import load_many
from .errors import QueryTimeout
from .text import LUX, TIMESTAMP

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


def extreme_argv(index: str, query: str, field_name: str, largest: bool) -> list[str]:
    return [
        "FT.AGGREGATE", index, query, "GROUPBY", "0",
        "REDUCE", "MAX" if largest else "MIN", "1", f"@{field_name}", "AS", "value", *DIALECT,
    ]


def count_argv(index: str, query: str) -> list[str]:
    """Counts without fetching or sorting; `LIMIT 0 0` is never cut by MAXSEARCHRESULTS."""
    return ["FT.SEARCH", index, query, "LIMIT", "0", "0", *DIALECT]


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


def execute(r: redis.Redis, argv: list[str]) -> Any:
    """Run one search command; a server-side timeout becomes `QueryTimeout` (a 503)."""
    try:
        return r.execute_command(*argv)
    except redis.ResponseError as exc:
        if "timeout" in str(exc).lower():
            raise QueryTimeout(
                "the search took too long and was stopped; narrow the filters or try again"
            ) from exc
        raise


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

        A picture deleted between the search and the read is left out; a key whose
        name is not an image id comes back as `Unreadable`, for paging to step past.
        """
        reply = self._execute(
            search_argv(
                self.catalogue.index, query, sort_field=sort_field, descending=descending,
                limit=limit,
            )
        )
        names = [key.decode() if isinstance(key, bytes) else key for key in reply[1:]]
        ids = [name.removeprefix(self.catalogue.prefix) for name in names]
        valid = [is_valid_image_id(image_id) for image_id in ids]
        found: dict[str, Row] = {
            image.pk: image for image in load_many(
                self.r, [i for i, ok in zip(ids, valid, strict=True) if ok], self.catalogue
            )
        }
        junk = [(name, i) for name, i, ok in zip(names, ids, valid, strict=True) if not ok]
        if junk:
            with self.r.pipeline(transaction=False) as pipe:
                for name, _ in junk:
                    pipe.hmget(name, [TIMESTAMP, LUX])
                for (_, image_id), (timestamp, lux) in zip(junk, pipe.execute(), strict=True):
                    if timestamp is not None or lux is not None:
                        at = _number(timestamp) or 0.0
                        found[image_id] = Unreadable(image_id, at, _number(lux))
        rows = [found.get(image_id) for image_id in ids]
        return int(reply[0]), [row for row in rows if row is not None]

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
