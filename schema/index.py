"""The `idx:images` RediSearch index: its one definition, and how it is applied.

The concrete index is named after a hash of its definition (`idx:images:v-<hash>`)
and reached through the alias `idx:images`, which every query uses. Changing the
definition builds the new index next to the old one, waits until it has indexed
every hash, then moves the alias in one atomic step, so the gallery never sees an
empty or missing index. An index the seed project made by hand under the name
`idx:images` is replaced the same way (`FT.DROPINDEX` without `DD` plus
`FT.ALIASADD`, inside one MULTI/EXEC).
"""

from __future__ import annotations

import contextlib
import hashlib
import shlex
import time
from dataclasses import dataclass
from typing import Any, Literal

import redis

from . import functions, summary
from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .replies import text


@dataclass(frozen=True)
class IndexField:
    name: str
    kind: Literal["NUMERIC", "TAG"]
    sortable: bool = False
    case_sensitive: bool = False

    def args(self) -> list[str]:
        out = [self.name, self.kind]
        if self.case_sensitive:
            out.append("CASESENSITIVE")
        if self.sortable:
            out.append("SORTABLE")
        return out


FIELDS: tuple[IndexField, ...] = (
    IndexField("timestamp", "NUMERIC", sortable=True),
    IndexField("lux", "NUMERIC", sortable=True),
    IndexField("mime_type", "TAG"),
    IndexField("camera", "TAG", case_sensitive=True),
    IndexField("trigger", "TAG"),
    IndexField("time_of_day", "NUMERIC"),
    IndexField("expires_at", "NUMERIC"),
    IndexField("checksum", "TAG"),
)


def schema_args(catalogue: Catalogue = DEFAULT_CATALOGUE) -> list[str]:
    """Everything after the index name in `FT.CREATE`."""
    args = ["ON", "HASH", "PREFIX", "1", catalogue.prefix, "SCHEMA"]
    for field in FIELDS:
        args.extend(field.args())
    return args


def definition_version(catalogue: Catalogue = DEFAULT_CATALOGUE) -> str:
    return hashlib.sha256(" ".join(schema_args(catalogue)).encode()).hexdigest()[:8]


def target_index(catalogue: Catalogue = DEFAULT_CATALOGUE) -> str:
    return catalogue.versioned_index(definition_version(catalogue))


def create_command(catalogue: Catalogue = DEFAULT_CATALOGUE) -> list[str]:
    return ["FT.CREATE", target_index(catalogue), *schema_args(catalogue)]


def alias_command(catalogue: Catalogue = DEFAULT_CATALOGUE) -> list[str]:
    return ["FT.ALIASADD", catalogue.index, target_index(catalogue)]


def render_command(args: list[str]) -> str:
    """One command line that both a POSIX shell and `redis-cli` read back as `args`."""
    return " ".join(shlex.quote(str(arg)) for arg in args)


def show(catalogue: Catalogue = DEFAULT_CATALOGUE) -> str:
    """The commands `apply` runs on an empty Redis, ready to pipe into `redis-cli`."""
    return "\n".join(
        render_command(cmd) for cmd in (create_command(catalogue), alias_command(catalogue))
    )


@dataclass(frozen=True)
class ApplyResult:
    action: Literal["unchanged", "created", "migrated"]
    index: str
    replaced: str | None = None

    def describe(self, alias: str) -> str:
        if self.action == "unchanged":
            return f"{alias} -> {self.index}: up to date, nothing changed"
        if self.action == "created":
            return f"created {self.index} behind the alias {alias}"
        return f"migrated {alias} from {self.replaced} to {self.index} without downtime"


class IndexBuildTimeout(RuntimeError):
    pass


def index_info(r: redis.Redis, name: str) -> dict[str, Any] | None:
    """FT.INFO as a dict (index or alias name), or None when nothing has that name."""
    try:
        raw = r.execute_command("FT.INFO", name)
    except redis.ResponseError as exc:
        message = str(exc).lower()
        if "unknown index name" in message or "no such index" in message:
            return None
        raise
    if isinstance(raw, dict):
        return {text(k): v for k, v in raw.items()}
    return {text(raw[i]): raw[i + 1] for i in range(0, len(raw) - 1, 2)}


def _wait_until_indexed(r: redis.Redis, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        info = index_info(r, name) or {}
        if (
            text(info.get("indexing", "0")) == "0"
            and float(text(info.get("percent_indexed", "1"))) >= 1.0
        ):
            return
        if time.monotonic() > deadline:
            raise IndexBuildTimeout(f"{name} was still indexing after {timeout:.0f} s")
        time.sleep(0.05)


def apply(
    r: redis.Redis, catalogue: Catalogue = DEFAULT_CATALOGUE, build_timeout: float = 3600.0
) -> ApplyResult:
    """Make `catalogue.index` answer with the current definition, load the read
    functions the queries call (`functions`) and count a summary for pictures written
    before there was one (`summary.ensure`); idempotent."""
    functions.install(r)
    result = _point_alias(r, catalogue, build_timeout)
    _point_query_alias(r, catalogue, result.index)
    summary.ensure(r, catalogue)
    return result


def _point_query_alias(r: redis.Redis, catalogue: Catalogue, target: str) -> None:
    """The name the read functions search under (`functions.search`), moved with the
    alias; only the admin role may know it."""
    try:
        alias = functions.query_alias(r, catalogue.index)
    except redis.exceptions.NoPermissionError:
        return  # the web role (`picat import`): the admin's apply made it
    r.execute_command("FT.ALIASUPDATE", alias, target)


def _point_alias(r: redis.Redis, catalogue: Catalogue, build_timeout: float) -> ApplyResult:
    target = target_index(catalogue)
    current = index_info(r, catalogue.index)
    current_name = text(current["index_name"]) if current else None
    if current_name == target:
        return ApplyResult("unchanged", target)

    if index_info(r, target) is None:
        r.execute_command(*create_command(catalogue))
    _wait_until_indexed(r, target, build_timeout)

    if current is None:
        r.execute_command(*alias_command(catalogue))
        return ApplyResult("created", target)

    if current_name == catalogue.index:
        # A plain index holds the name: swap it for the alias in one atomic step.
        with r.pipeline(transaction=True) as pipe:
            pipe.execute_command("FT.DROPINDEX", catalogue.index)
            pipe.execute_command(*alias_command(catalogue))
            pipe.execute()
    else:
        r.execute_command("FT.ALIASUPDATE", catalogue.index, target)
        r.execute_command("FT.DROPINDEX", current_name)
    return ApplyResult("migrated", target, replaced=current_name)


def drop(r: redis.Redis, catalogue: Catalogue) -> None:
    """Remove the alias and every version of this catalogue's index (never the hashes)."""
    with contextlib.suppress(redis.ResponseError):
        r.execute_command("FT.ALIASDEL", catalogue.index)
    for name in r.execute_command("FT._LIST"):
        name = text(name)
        if name == catalogue.index or name.startswith(catalogue.index + ":v-"):
            r.execute_command("FT.DROPINDEX", name)
