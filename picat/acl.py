"""Least-privilege Redis users for the capture, web and admin roles (`picat acl` prints them).

A stolen Pi or a compromised gallery should not be able to wipe or read the
whole server, so each component gets a user that can do its job and nothing else.
The roles are data (`ROLES`), rendered as idempotent `ACL SETUSER name reset ...`
commands for a `Catalogue`.

What the server here (Redis 8.2.3 with RediSearch 2.10.5 as a module) does, which
shapes the rules:
- `FT.*` commands belong to no ACL category, so they are named one by one.
- They declare the index (or alias) name as their key with read-write flags, so a
  user needs `~idx:images` (not `%R~`) to search; a selector grants that to the
  `FT.*` commands only, so the name cannot be used as an ordinary key.
- The hashes a search returns are not checked against key patterns: `FT.SEARCH`
  on the index reads every picture. Capture therefore gets no `FT.*` at all, and
  `picat import` (whose duplicate check searches) runs with web credentials.
- Every writer also counts its pictures into the catalogue's summary
  (`idx:images:summary:*`, `schema/summary.py`), which the gallery reads through its
  read function; the summary holds counts only, so every role may read and write it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import redis

from picat.schema import DEFAULT_CATALOGUE, Catalogue, functions, summary
from picat.schema.replies import text

USER_PREFIX = "picat-"

# What redis-py sends on connect (CLIENT SETINFO; SELECT for a /<db> URL), health
# checks (PING) and transactions. AUTH and HELLO need no permission.
_CLIENT = ("+ping", "+client|setinfo", "+select", "+multi", "+exec", "+discard")

# Everything `picat.schema.index.apply` and `drop` run on the index names.
_SCHEMA = (
    "+ft.create",
    "+ft.alter",
    "+ft.info",
    "+ft.aliasadd",
    "+ft.aliasupdate",
    "+ft.aliasdel",
    "+ft.dropindex",
    "+ft.search",
    "+ft.aggregate",
    "+ft.explain",
    "+ft.profile",
    "+ft.tagvals",
    "+ft.cursor",
)
_SUMMARY = ("+zadd", "+hincrby")
"""What a writer adds to the catalogue's summary in the MULTI of each picture."""
_WALK = ("+zrange", "+zmscore", "+hmget")
"""What the gallery's `picat_walk` function reads of the summary."""


# The gallery's sessions (strings) and login failures (sorted sets), on their own keys.
_LOGINS = ("+get", "+set", "+del", "+expire", "+zadd", "+zrem", "+zcard", "+zrange",
           "+zremrangebyscore", "+multi", "+exec")
# The gallery's timelapse jobs (hashes, a lease string, a sorted set), on their own keys.
_TIMELAPSES = ("+hset", "+hget", "+hmget", "+hgetall", "+hdel", "+exists", "+pttl", "+expire",
               "+set", "+del", "+zadd", "+zrange", "+zrevrange", "+zrem", "+multi", "+exec")


# Retention by size: its lease (taken, renewed under WATCH, released) and the numbers it
# publishes for capture's out-of-memory message.
_RETENTION = ("+set", "+get", "+pexpire", "+del", "+watch", "+hset", "~retention-lease",
              "~storage")


@dataclass(frozen=True)
class Role:
    """One Redis user: its commands, its access to the hashes, its index commands."""

    name: str
    purpose: str
    commands: tuple[str, ...]
    hash_access: str  # "%W~" write-only or "~" read-write, on the catalogue's hashes
    index_commands: tuple[str, ...] = ()
    index_versions: bool = False  # may also name `idx:images:v-*` (schema changes)
    query_commands: tuple[str, ...] = ()
    """FT.* commands this role may run only on the index's query alias (`idx:images:q-*`),
    whose name only the read functions know: so only through them (`schema/functions.py`)."""
    state: tuple[str, ...] = ()
    """Commands and keys (named after `Catalogue.state_prefix`) of a selector for retention's
    keys, e.g. `("+hmget", "%R~storage")`: those commands on those keys only."""
    gallery_logins: bool = False  # may keep the gallery's sessions and login failure counts
    gallery_timelapses: bool = False  # may keep the gallery's timelapse jobs
    summary: tuple[str, ...] = ()
    """Commands of a selector for the catalogue's summary keys (`schema/summary.py`) only."""

    @property
    def user(self) -> str:
        return USER_PREFIX + self.name

    @property
    def password_variable(self) -> str:
        return f"PICAT_ACL_{self.name.upper()}_PASSWORD"


ROLES: tuple[Role, ...] = (
    Role(
        "capture",
        "Pis and `picat capture`: write and expire picture hashes, confirm with WAITAOF",
        (*_CLIENT, "+client|info", "+client|setname", "+waitaof", "+time", "+del", "+hset",
         "+pexpireat", "+hmget"),
        "%W~",
        # What retention last measured, quoted when Redis is full (no INFO, no FT.* here).
        state=("+hmget", "%R~storage"),
        summary=_SUMMARY,
    ),
    Role(
        "web",
        "the gallery and `picat import`: search, read, delete, keep, add thumbnails",
        (
            *_CLIENT,
            "+info",
            "+client|info",
            "+client|setname",
            "+waitaof",
            "+time",
            "+watch",
            "+unwatch",
            "+exists",
            "+hget",
            "+hstrlen",
            "+hmget",
            "+pttl",
            "+fcall_ro",
            "+hset",
            "+hdel",
            "+del",
            "+persist",
            "+pexpireat",
        ),
        "~",
        ("+ft.info",),
        query_commands=("+ft.search", "+ft.aggregate"),
        state=_RETENTION,
        gallery_logins=True,
        gallery_timelapses=True,
        summary=(*_SUMMARY, *_WALK, "+exists", "+fcall_ro"),
    ),
    Role(
        "admin",
        "`picat schema apply`, `picat up`, the operator: the index and the catalogue's keys, "
        "nothing @dangerous",
        (
            *_CLIENT,
            "+@read",
            "+@write",
            "+@keyspace",
            "+@transaction",
            "+@connection",
            "-@dangerous",
            "-@scripting",
            "+fcall_ro",
            "+function|load",
            "+time",
            "+info",
            "+ft._list",
        ),
        "~",
        _SCHEMA,
        index_versions=True,
        state=_RETENTION,
        summary=("+@read", "+@write", "+@keyspace", "-@dangerous", "-@scripting", "+fcall_ro"),
        gallery_logins=True,
        gallery_timelapses=True,
    ),
)
ROLE_NAMES = tuple(role.name for role in ROLES)


def _glob(text: str) -> str:
    """`text` matched literally inside an ACL key pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def password_hash(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def rules(role: Role, hashes: list[str], catalogue: Catalogue = DEFAULT_CATALOGUE) -> list[str]:
    """The `ACL SETUSER` rules; `reset` first makes applying them again harmless."""
    hashes_pattern = _glob(catalogue.prefix) + "*"
    out = ["reset", "on", *(f"#{h}" for h in hashes), *role.commands]
    out.append(role.hash_access + hashes_pattern)
    if role.summary:
        keys = "~" + _glob(summary.key_pattern(catalogue)[:-1]) + "*"
        out.append("(" + " ".join([*role.summary, keys]) + ")")
    if role.state:
        selector = [
            part if part.startswith("+") else part.replace("~", "~" + _glob(catalogue.state_prefix))
            for part in role.state
        ]
        out.append("(" + " ".join(selector) + ")")
    if role.index_commands:
        names = [f"~{_glob(catalogue.index)}"]
        if role.index_versions:
            names.append(f"~{_glob(catalogue.versioned_index(''))}*")
            names.append(f"~{_glob(catalogue.index)}:q-*")
        # Read of the hashes too: query engines that check the index's prefixes need it.
        selector = [*role.index_commands, *names, f"%R~{hashes_pattern}"]
        out.append("(" + " ".join(selector) + ")")
    if role.query_commands:
        query = [*role.query_commands, f"~{_glob(catalogue.index)}:q-*", f"%R~{hashes_pattern}"]
        out.append("(" + " ".join(query) + ")")
    if role.index_versions:  # the query secret (`schema/functions.py`)
        out.append(f"(+get +set ~{_glob(functions.SECRET_KEY)})")
    if role.gallery_logins:
        out.append("(" + " ".join([*_LOGINS, f"~{_glob(catalogue.auth_prefix)}*"]) + ")")
    if role.gallery_timelapses:
        keys = f"~{_glob(catalogue.timelapse_prefix)}*"
        out.append("(" + " ".join([*_TIMELAPSES, keys]) + ")")
    return out


def setuser_command(
    role: Role, hashes: list[str], catalogue: Catalogue = DEFAULT_CATALOGUE
) -> list[str]:
    return ["ACL", "SETUSER", role.user, *rules(role, hashes, catalogue)]


def role_url(base_url: str, role: Role, password: str) -> str:
    """`base_url` with this role's user and password in it."""
    parts = urlsplit(base_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{quote(role.user, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class Credential:
    """A role's password hashes, and the clear text when this run knows it."""

    role: Role
    hashes: list[str]
    password: str | None
    origin: str  # "generated", "environment" or "kept"


def choose_credential(role: Role, existing: list[str] | None, rotate: bool) -> Credential:
    """Password from the environment; else the user's current ones; else a new random one."""
    from_env = os.environ.get(role.password_variable, "")
    if from_env:
        return Credential(role, [password_hash(from_env)], from_env, "environment")
    if existing and not rotate:
        return Credential(role, existing, None, "kept")
    password = secrets.token_urlsafe(32)
    return Credential(role, [password_hash(password)], password, "generated")


def existing_hashes(r: redis.Redis, role: Role) -> list[str] | None:
    """The SHA-256 password hashes of the role's user on the server, or None if absent."""
    info = r.acl_getuser(role.user)
    if not info:
        return None
    return [h.decode() if isinstance(h, bytes) else h for h in info["passwords"]]


def persist(r: redis.Redis) -> str:
    """Save the users where the server keeps them, or say why they are in memory only."""
    aclfile = text(next(iter(r.config_get("aclfile").values()), ""))
    if aclfile:
        r.execute_command("ACL", "SAVE")
        return f"saved with ACL SAVE to {aclfile}"
    config_file = text(r.info("server").get("config_file"))
    if config_file:
        return (
            "in memory only: run CONFIG REWRITE to keep them in "
            f"{config_file}, or start Redis with an aclfile"
        )
    return (
        "in memory only (the server has no config file): set the PICAT_ACL_*_PASSWORD "
        "variables and run `picat acl --apply` again after each restart"
    )
