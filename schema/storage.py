"""How much memory the catalogue uses, what it may use, and why a full Redis refuses.

The budget is what retention (`pruning`) keeps Redis under: the server's own
`maxmemory` or `PICAT_MEMORY_BUDGET`, whichever is smaller (the embedded server runs
with `maxmemory` set to the setting). A server without `maxmemory` and no setting
has no budget: nothing bounds it, which `picat` warns about.

Counting kept pictures needs the index: a kept picture has no `expires_at`, so kept =
all documents (`FT.INFO`) minus those with an `expires_at` (`FT.SEARCH ... LIMIT 0 0`,
which passes over the pictures that expire: about 0.15 s at 1,000,000).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from . import functions, query
from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .replies import text

GB = 1e9
HEADROOM_SHARE = 0.10
HEADROOM_BYTES = 32 * 10**6
"""Room retention leaves under the budget: 10 % of it, and at least two of capture's
16 MB write batches (what can arrive between two looks of retention), but never more
than half the budget."""
PRUNE_SHARE = 0.10
"""Once started, retention deletes 10 % of the budget more, so it runs now and then."""


def water_marks(budget: int) -> tuple[int, int]:
    """(high, low): retention starts at `high` bytes used and deletes down to `low`."""
    headroom = min(max(HEADROOM_SHARE * budget, HEADROOM_BYTES), 0.5 * budget)
    high = budget - headroom
    return int(high), int(high - PRUNE_SHARE * budget)


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


@dataclass(frozen=True)
class Holdings:
    pictures: int
    kept: int


def picture_count(r: redis.Redis, catalogue: Catalogue = DEFAULT_CATALOGUE) -> int:
    """How many pictures the index holds, from `FT.INFO` (no search: cheap at any size)."""
    return _num_docs(r.execute_command("FT.INFO", catalogue.index))


def _num_docs(info: list | dict) -> int:
    fields = info if isinstance(info, dict) else dict(zip(info[0::2], info[1::2], strict=False))
    fields = {text(key): value for key, value in fields.items()}
    return int(float(text(fields.get("num_docs")) or 0))


def holdings(r: redis.Redis, catalogue: Catalogue = DEFAULT_CATALOGUE) -> Holdings:
    """How many pictures the index holds, and how many of them are kept (no expiry).
    The total is `FT.INFO`'s: counting `*` passes over every picture (0.15 s at 1M)."""
    with r.pipeline(transaction=True) as pipe:  # one moment: retention may be deleting
        pipe.execute_command("FT.INFO", catalogue.index)
        pipe.fcall_ro(functions.QUERY, 0, "FT.SEARCH", catalogue.index,
                      "@expires_at:[-inf +inf]", "LIMIT", "0", "0")
        info, expiring = pipe.execute()
    everything = _num_docs(info)
    return Holdings(everything, max(0, everything - int(expiring[0])))


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


HOUR, DAY = 3600, 86400


@dataclass(frozen=True)
class CameraRate:
    """Pictures a camera took in the last hour and the last day (still held)."""

    camera: str
    last_hour: int
    last_day: int


def _oldest_and_newest(r: redis.Redis, catalogue: Catalogue) -> tuple[float | None, float | None]:
    """Capture time of the oldest picture held, and the TTL (seconds) of the newest one
    that expires: what the cameras' IMAGE_TTL is now (each Pi may have its own). Asked
    as gallery pages (two commands each), not sorted over the whole catalogue."""
    oldest = query.search(r, query.Filters(), query.Sort.OLDEST, 1, None, catalogue=catalogue)
    expiring = query.Filters(expiring=query.MAX_EXPIRING_HOURS * 3600)  # all that expire
    newest = query.search(r, expiring, query.Sort.NEWEST, 1, None, catalogue=catalogue)
    taken = oldest.images[0].timestamp if oldest.images else None
    last = newest.images[0] if newest.images else None
    ttl = last.expires_at - last.timestamp if last and last.expires_at is not None else None
    return taken, ttl


def camera_rates(
    r: redis.Redis, now: float, catalogue: Catalogue = DEFAULT_CATALOGUE
) -> list[CameraRate]:
    """Each camera's pictures over the last hour and day (one FT.AGGREGATE each)."""
    counts: dict[str, list[int]] = {}
    for slot, span in enumerate((HOUR, DAY)):
        reply = functions.call(r, "query", (), (
            "FT.AGGREGATE", catalogue.index, f"@timestamp:[{now - span:.3f} +inf]",
            "LOAD", "1", "@camera", "GROUPBY", "1", "@camera", "REDUCE", "COUNT", "0", "AS", "n",
            "LIMIT", "0", "10000",
        ))
        for row in reply[1:]:
            values = {text(k): text(v) for k, v in zip(row[0::2], row[1::2], strict=True)}
            counts.setdefault(values.get("camera") or "(none)", [0, 0])[slot] = int(values["n"])
    return [CameraRate(camera, hour, day) for camera, (hour, day) in sorted(counts.items())]


@dataclass(frozen=True)
class Report:
    """The storage view: memory, pictures, rates, and how long the budget lasts."""

    used: int
    budget: int | None
    maxmemory: int
    pictures: int
    kept: int
    oldest: float | None
    ttl: float | None
    """Seconds a new picture lives (from the newest expiring one); None if all are kept."""
    cameras: list[CameraRate]
    warning: str | None
    """Why nothing bounds memory, when nothing does."""

    @property
    def per_minute(self) -> float:
        """Pictures a minute now: the last hour's rate, else the last day's."""
        hour = sum(camera.last_hour for camera in self.cameras)
        if hour:
            return hour / 60
        return sum(camera.last_day for camera in self.cameras) / 1440

    @property
    def bytes_per_picture(self) -> float | None:
        return self.used / self.pictures if self.pictures else None

    @property
    def holds_pictures(self) -> int | None:
        """Pictures the budget holds at today's average size, up to where retention starts."""
        if self.budget is None or not self.bytes_per_picture:
            return None
        return int(water_marks(self.budget)[0] / self.bytes_per_picture)

    @property
    def holds_days(self) -> float | None:
        """Days of pictures the budget holds at the current rate."""
        if self.holds_pictures is None or not self.per_minute:
            return None
        return self.holds_pictures / (self.per_minute * 1440)

    @property
    def budget_decides(self) -> bool:
        """True when the budget, not the TTL, decides how long pictures stay."""
        if self.holds_days is None:
            return False
        return self.ttl is None or self.holds_days * DAY < self.ttl

    def projection(self) -> str:
        """"at 6.1 pictures a minute this budget holds 3.4 days; IMAGE_TTL is 7 days" """
        ttl = "pictures are kept forever" if self.ttl is None else f"IMAGE_TTL is {_days(self.ttl)}"
        if self.budget is None:
            return f"no memory budget: nothing bounds the catalogue; {ttl}"
        if self.holds_pictures is None:
            return f"this budget holds about {size(self.budget)} of pictures; {ttl}"
        if self.holds_days is None:
            return f"this budget holds about {self.holds_pictures:,} pictures; no picture was " \
                f"taken in the last day; {ttl}"
        return (
            f"at {self.per_minute:.1f} pictures a minute this budget holds "
            f"{self.holds_days:.1f} days; {ttl}"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "used_bytes": self.used,
            "budget_bytes": self.budget,
            "maxmemory_bytes": self.maxmemory,
            "pictures": self.pictures,
            "kept": self.kept,
            "oldest_timestamp": self.oldest,
            "image_ttl_seconds": self.ttl,
            "cameras": [
                {"camera": c.camera, "last_hour": c.last_hour, "last_day": c.last_day}
                for c in self.cameras
            ],
            "pictures_per_minute": round(self.per_minute, 3),
            "bytes_per_picture": self.bytes_per_picture,
            "budget_holds_pictures": self.holds_pictures,
            "budget_holds_days": self.holds_days,
            "budget_decides": self.budget_decides,
            "projection": self.projection(),
            "warning": self.warning,
        }


def _days(seconds: float) -> str:
    days = seconds / DAY
    if days >= 1:
        return f"{days:g} days" if days == int(days) else f"{days:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"


def report(
    r: redis.Redis,
    setting: int | None,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
    now: float | None = None,
) -> Report:
    """Everything the storage view shows, read from Redis now."""
    now = time.time() if now is None else now
    current = memory(r)
    held = holdings(r, catalogue)
    oldest, ttl = _oldest_and_newest(r, catalogue)
    return Report(
        used=current.used,
        budget=budget(current, setting),
        maxmemory=current.maxmemory,
        pictures=held.pictures,
        kept=held.kept,
        oldest=oldest,
        ttl=ttl,
        cameras=camera_rates(r, now, catalogue),
        warning=no_budget_warning(current, setting),
    )
