"""How much memory the catalogue uses, what it may use, and why a full Redis refuses.

The budget is what retention (`pruning`) keeps Redis under: the server's own
`maxmemory` or `PICAT_MEMORY_BUDGET`, whichever is smaller (the embedded server runs
with `maxmemory` set to the setting). A server without `maxmemory` and no setting
has no budget: nothing bounds it, which `picat` warns about.

Counting kept pictures needs the index: a kept picture has no `expires_at`, so kept =
all documents minus those with an `expires_at`. Two `FT.SEARCH ... LIMIT 0 0`, cheap
at any size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .replies import text

GB = 1e9


def size(n: float) -> str:
    """"1.9 GB", "450 MB": what a person reads in a message."""
    return f"{n / GB:.1f} GB" if n >= GB else f"{n / 1e6:.0f} MB"


@dataclass(frozen=True)
class Memory:
    """`INFO memory`: what Redis uses, its `maxmemory` (0: none) and eviction policy."""

    used: int
    maxmemory: int
    policy: str


def memory(r: redis.Redis) -> Memory:
    info = r.info("memory")
    return Memory(
        used=int(info["used_memory"]),
        maxmemory=int(info.get("maxmemory", 0)),
        policy=text(info.get("maxmemory_policy")),
    )


def budget(current: Memory, setting: int | None) -> int | None:
    """The server's `maxmemory` or the setting, whichever is smaller; None if neither."""
    limits = [limit for limit in (current.maxmemory, setting) if limit]
    return min(limits) if limits else None


def no_budget_warning(current: Memory, setting: int | None) -> str | None:
    """What to say when nothing bounds the catalogue's memory (None when something does)."""
    if current.maxmemory:
        return None
    if setting:
        return (
            "this Redis has no maxmemory: retention keeps the catalogue under "
            f"PICAT_MEMORY_BUDGET ({size(setting)}), but other writers are not bounded; "
            "set maxmemory on the server too"
        )
    return (
        "this Redis has no maxmemory and PICAT_MEMORY_BUDGET is unset: nothing bounds the "
        "catalogue's memory, and Redis grows until its host runs out; set maxmemory on "
        "the server (CONFIG SET maxmemory 2gb) or PICAT_MEMORY_BUDGET"
    )


def _count(r: redis.Redis, catalogue: Catalogue, query: str) -> int:
    return int(r.execute_command("FT.SEARCH", catalogue.index, query, "LIMIT", "0", "0")[0])


@dataclass(frozen=True)
class Holdings:
    pictures: int
    kept: int


def holdings(r: redis.Redis, catalogue: Catalogue = DEFAULT_CATALOGUE) -> Holdings:
    """How many pictures the index holds, and how many of them are kept (no expiry)."""
    pictures = _count(r, catalogue, "*")
    return Holdings(pictures, pictures - _count(r, catalogue, "@expires_at:[-inf +inf]"))


STATUS_FIELDS = ("used", "budget", "kept", "at")


def publish(
    r: redis.Redis, current: Memory, limit: int | None, kept: int, catalogue: Catalogue
) -> None:
    """Leave the numbers where capture can read them when it may not ask (its ACL role has
    neither INFO nor FT.SEARCH): what the out-of-memory message quotes."""
    r.hset(catalogue.status_key, mapping={
        "used": current.used, "budget": limit or 0, "kept": kept, "at": f"{time.time():.3f}",
    })


def out_of_memory_message(r: redis.Redis, catalogue: Catalogue = DEFAULT_CATALOGUE) -> str:
    """"Redis is out of memory: 1.9 GB used of 2.0 GB, 1,412 kept pictures; raise
    PICAT_MEMORY_BUDGET or un-keep pictures", from the server itself when this user may
    ask it, else from the numbers retention last published (capture's ACL role)."""
    advice = "raise PICAT_MEMORY_BUDGET or un-keep pictures"
    vague = f"Redis is out of memory (it is at its maxmemory); {advice}"
    try:
        current = memory(r)
        used, limit = current.used, current.maxmemory
        kept = holdings(r, catalogue).kept
    except redis.exceptions.NoPermissionError:
        try:
            used, limit, kept, _ = (
                int(float(text(value) or 0))
                for value in r.hmget(catalogue.status_key, STATUS_FIELDS)
            )
        except (redis.RedisError, ValueError):
            return vague
    except redis.RedisError:
        return vague
    if not limit:
        return vague
    return (
        f"Redis is out of memory: {size(used)} used of {size(limit)}, "
        f"{kept:,} kept pictures; {advice}"
    )
