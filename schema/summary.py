"""Where the pictures lie: counts per hour and per lux band, kept by the writers.

Paging must know where a view's pictures start and how densely they lie, or its
first query either misses (an empty window) or sorts half the catalogue. Asking
the index (`FT.AGGREGATE ... REDUCE MAX`) passes over every match, so instead each
write adds its picture to a small summary in the same MULTI/EXEC (`record`):

- `<index>:summary:t:<camera>`: a sorted set of the hours (Unix seconds // 3600)
  that hold pictures of `camera` (`t:` alone for every camera); `l:` the same for
  lux bands, `n:` for the hours of pictures without lux;
- `<index>:summary:count`: a hash of counts, field `<kind>:<camera>:<bucket>`;
- `<index>:summary:until`: a sorted set scoring each of those fields with the
  latest expiry of its pictures, so buckets whose pictures have all expired count
  as empty;
- `<index>:summary:brightest` and `darkest`: the lux extent of each hour's pictures,
  so that a view filtered by lux skips the hours (nights) that cannot match.

Lux bands are tenths of a lux below 1,000 (so lux 0, where half of all pictures
sit at night, is a band of one value) and 1/32 of an octave above. Readers walk
the summary with one `FCALL_RO` (`functions.py`) and use it only to size windows:
a stale count (a deleted picture, a seed-format writer that keeps no summary) costs
an empty or a larger query, never a missing picture, because windows always cover
the whole rest of a view. `rebuild` recounts from the index (`picat schema apply`).
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import redis

from . import functions
from .catalogue import Catalogue
from .model import Image

HOUR = 3600
FOREVER = 1e18
"""The expiry recorded for pictures kept forever."""
LINEAR_UP_TO = 1000.0
STEPS_PER_OCTAVE = 32
_LOG_FIRST = 10_000
TIME, LUX, NO_LUX = "t", "l", "n"
BUILT = "built-2"
"""Names the summary's layout: a catalogue whose summary has another is counted again."""
MOST = 2048
"""Buckets one walk reads at most."""


def bucket(kind: str, value: float) -> int:
    if kind != LUX:
        return math.floor(value / HOUR)
    if abs(value) < LINEAR_UP_TO:
        return math.floor(round(value * 10, 6))
    steps = math.floor(STEPS_PER_OCTAVE * math.log2(abs(value) / LINEAR_UP_TO))
    return _LOG_FIRST + steps if value > 0 else -_LOG_FIRST - 1 - steps


def bounds(kind: str, number: int) -> tuple[float, float]:
    """The values `[lo, hi)` of a bucket (a negative log band is `(lo, hi]`)."""
    if kind != LUX:
        return number * HOUR, (number + 1) * HOUR
    if -_LOG_FIRST <= number < _LOG_FIRST:
        return number / 10, (number + 1) / 10
    if number >= _LOG_FIRST:
        steps = number - _LOG_FIRST
        return tuple(LINEAR_UP_TO * 2 ** ((s) / STEPS_PER_OCTAVE) for s in (steps, steps + 1))
    steps = -_LOG_FIRST - 1 - number
    return tuple(-LINEAR_UP_TO * 2 ** (s / STEPS_PER_OCTAVE) for s in (steps + 1, steps))


def single_value(kind: str, number: int) -> float | None:
    """The one value a crowded band is assumed to hold: tenths of a lux, never hours."""
    return number / 10 if kind == LUX and -_LOG_FIRST <= number < _LOG_FIRST else None


def _base(catalogue: Catalogue) -> str:
    return f"{catalogue.index}:summary:"


def key_pattern(catalogue: Catalogue) -> str:
    """Every summary key, as a glob (for ACL rules and clean-up)."""
    return _base(catalogue) + "*"


def _entries(
    timestamp: float, lux: float | None, camera: str | None
) -> Iterator[tuple[str, str, int]]:
    cameras = ("", camera) if camera else ("",)
    for kind, value in ((TIME, timestamp), (NO_LUX, timestamp) if lux is None else (LUX, lux)):
        number = bucket(kind, value)
        for name in cameras:
            yield kind, name, number


def record(pipe: redis.client.Pipeline, image: Image, catalogue: Catalogue) -> None:
    """Queue the summary updates for one written picture on `pipe` (its MULTI)."""
    base = _base(catalogue)
    until = image.expires_at if image.expires_at is not None else FOREVER
    fields, hours = {}, {}
    for kind, camera, number in _entries(image.timestamp, image.lux, image.camera):
        pipe.zadd(f"{base}{kind}:{camera}", {str(number): number})
        field = f"{kind}:{camera}:{number}"
        pipe.hincrby(f"{base}count", field, 1)
        fields[field] = until
        if kind == TIME and image.lux is not None:
            hours[field] = image.lux
    pipe.zadd(f"{base}until", fields, gt=True)
    if hours:  # the lux extent of each hour, so a lux filter can skip the nights
        pipe.zadd(f"{base}brightest", hours, gt=True)
        pipe.zadd(f"{base}darkest", hours, lt=True)


@dataclass(frozen=True)
class Bucket:
    number: int
    count: int


def walk(
    r: redis.Redis, catalogue: Catalogue,
    requests: list[tuple[str, str, float, bool, int, tuple[float, float], bool]],
    most: int = MOST,
) -> tuple[list[list[Bucket]], list[str]]:
    """For each (kind, camera, start value, descending, target, lux range, past): the
    non-empty buckets from the one holding `start` onwards (`past`: only those holding
    values beyond `start`), until their counts reach `target` (hours whose pictures'
    lux lies outside the range count as empty); and the command that read them (one
    FCALL_RO)."""
    base = _base(catalogue)
    keys = [f"{base}count", f"{base}until", f"{base}brightest", f"{base}darkest"]
    args = [repr(time.time())]
    for kind, camera, start, descending, target, (lux_lo, lux_hi), past in requests:
        keys.append(f"{base}{kind}:{camera}")
        first = _score(start) if math.isinf(start) else str(bucket(kind, start))
        if past and descending and not math.isinf(start) and bounds(kind, int(first))[0] >= start:
            first = "(" + first  # the bucket starting at `start` holds nothing below it
        args += [f"{kind}:{camera}:", first, "desc" if descending else "asc", str(target),
                 str(most), _score(lux_lo), _score(lux_hi)]
    reply = functions.call(r, "walk", keys, args)
    argv = ["FCALL_RO", f"picat_walk_{functions.VERSION}", str(len(keys)), *keys, *args]
    return [
        [Bucket(int(found[i]), int(found[i + 1])) for i in range(0, len(found), 2)]
        for found in reply
    ], argv


def _score(value: float) -> str:
    return "+inf" if value == math.inf else "-inf" if value == -math.inf else repr(value)


def _number(value: bytes | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def rebuild(r: redis.Redis, catalogue: Catalogue) -> int:
    """Recount the summary from the index, for pictures written without one (the seed
    project's, or before this summary existed); returns the pictures counted. A pass
    over the catalogue: run by `picat schema apply`, never on a request."""
    base = _base(catalogue)
    counts: Counter[str] = Counter()
    until: dict[str, float] = {}
    brightest: dict[str, float] = {}
    darkest: dict[str, float] = {}
    orders: dict[str, dict[str, int]] = defaultdict(dict)
    counted = 0
    fields = ("timestamp", "lux", "camera", "expires_at")
    reply = r.execute_command(
        "FT.AGGREGATE", catalogue.index, "*", "LOAD", str(len(fields)),
        *(f"@{name}" for name in fields), "WITHCURSOR", "COUNT", "10000", "TIMEOUT", "0",
        "DIALECT", "2",
    )
    while True:
        rows, cursor = reply
        for row in rows[1:]:
            values = dict(zip(row[0::2], row[1::2], strict=True))
            timestamp = _number(values.get(b"timestamp"))
            if timestamp is None:
                continue
            counted += 1
            camera = values.get(b"camera", b"").decode(errors="replace")
            expiry = _number(values.get(b"expires_at")) or FOREVER
            lux = _number(values.get(b"lux"))
            for kind, name, number in _entries(timestamp, lux, camera or None):
                field = f"{kind}:{name}:{number}"
                counts[field] += 1
                until[field] = max(until.get(field, 0.0), expiry)
                orders[f"{base}{kind}:{name}"][str(number)] = number
                if kind == TIME and lux is not None:
                    brightest[field] = max(brightest.get(field, -math.inf), lux)
                    darkest[field] = min(darkest.get(field, math.inf), lux)
        if not cursor:
            break
        reply = r.execute_command("FT.CURSOR", "READ", catalogue.index, cursor)
    old = list(r.scan_iter(match=key_pattern(catalogue), count=1000))
    with r.pipeline(transaction=True) as pipe:
        if old:
            pipe.delete(*old)
        for key, members in orders.items():
            pipe.zadd(key, members)
        if counts:
            pipe.hset(f"{base}count", mapping=dict(counts))
            pipe.zadd(f"{base}until", until)
        if brightest:
            pipe.zadd(f"{base}brightest", brightest)
            pipe.zadd(f"{base}darkest", darkest)
        pipe.set(base + BUILT, "1")
        pipe.execute()
    return counted


def ensure(r: redis.Redis, catalogue: Catalogue) -> bool:
    """Build the summary once for a catalogue that has none; True if it was built."""
    if r.exists(_base(catalogue) + BUILT):
        return False
    rebuild(r, catalogue)
    return True
