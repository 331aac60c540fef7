"""FT.SEARCH argv, run and parsed; every command run is recorded for the page to show.

Rows come back with their metadata fields in the same reply (`RETURN`), so a page
is one round trip per query and the binary fields are never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis

from ..catalogue import Catalogue
from ..index import render_command as _render
from ..model import Image
from .errors import QueryTimeout

DIALECT = ("DIALECT", "2")


def render_command(argv: list[str]) -> str:
    """One line that `redis-cli` and a POSIX shell both read back as `argv`."""
    return _render(argv)


def search_argv(
    index: str, query: str, *, sort_field: str | None = None, descending: bool = False,
    limit: int = 10,
) -> list[str]:
    argv = ["FT.SEARCH", index, query, "RETURN", str(len(Image.METADATA_FIELDS))]
    argv += Image.METADATA_FIELDS
    if sort_field is not None:
        argv += ["SORTBY", sort_field, "DESC" if descending else "ASC"]
    return [*argv, "LIMIT", "0", str(limit), *DIALECT]


def count_argv(index: str, query: str) -> list[str]:
    """Counts without fetching or sorting; `LIMIT 0 0` is never cut by MAXSEARCHRESULTS."""
    return ["FT.SEARCH", index, query, "LIMIT", "0", "0", *DIALECT]


@dataclass
class Runner:
    """Runs FT.SEARCH on one catalogue and keeps the argv of each call, in order."""

    r: redis.Redis
    catalogue: Catalogue
    commands: list[list[str]] = field(default_factory=list)

    def _execute(self, argv: list[str]) -> list:
        self.commands.append(argv)
        try:
            return self.r.execute_command(*argv)
        except redis.ResponseError as exc:
            if "timeout" in str(exc).lower():
                raise QueryTimeout(
                    "the search took too long and was stopped; narrow the filters or try again"
                ) from exc
            raise

    def rows(
        self, query: str, *, sort_field: str | None, descending: bool, limit: int
    ) -> tuple[int, list[Image]]:
        """(total matching, the first `limit` rows in the server's order)."""
        reply = self._execute(
            search_argv(
                self.catalogue.index, query, sort_field=sort_field, descending=descending,
                limit=limit,
            )
        )
        images = []
        for i in range(1, len(reply) - 1, 2):
            fields = reply[i + 1] or []
            values = dict(zip(fields[0::2], fields[1::2], strict=True))
            images.append(Image.from_fields(self.catalogue.id_from_key(reply[i]), values))
        return int(reply[0]), images

    def count(self, query: str) -> int:
        return int(self._execute(count_argv(self.catalogue.index, query))[0])
