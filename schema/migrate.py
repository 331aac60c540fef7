"""Moving originals between stores: `picat store migrate --to SPEC`.

Each picture is moved on its own, while capture and the gallery keep running:
1. under WATCH, read its hash and its original from wherever it is now;
2. check the bytes against the hash's `checksum` (sha256) and write them to the
   target store, then read them back and check again (for `redis` the target is
   the hash itself, which the MULTI/EXEC below writes);
3. rewrite the hash in one MULTI/EXEC with the same fields and TTL, pointing at the
   new place (a fresh hash, so one that held a big `image_data` shrinks back to
   Redis's compact encoding); if the hash changed meanwhile (deleted, kept,
   expired), WATCH fails it and the picture is tried again from step 1;
4. only then remove the bytes from where they were.
A crash anywhere leaves the hash pointing at a complete copy (the old one until
step 3, the new one after), at worst with a second copy the sweep removes. The
run walks the keys with SCAN; a rerun skips pictures already in the target, so an
interrupted migration is resumed by running it again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import redis
from tqdm import tqdm

from . import originals
from .catalogue import DEFAULT_CATALOGUE, Catalogue
from .ids import is_valid_image_id
from .model import IMAGE_DATA, Image
from .query import count_argv, run_search
from .replies import text

log = logging.getLogger(__name__)

DEFAULT_BATCH = 200
ATTEMPTS = 5


@dataclass
class MigrationReport:
    moved: int = 0
    already: int = 0
    gone: int = 0
    """Deleted or expired while the migration ran: nothing to move."""
    missing: list[str] = field(default_factory=list)
    """Ids whose original was not found where the hash says it is."""
    corrupt: list[str] = field(default_factory=list)
    """Ids whose original does not match its checksum: left where they are."""

    def summary(self) -> str:
        lines = [f"moved {self.moved}, already there {self.already}, gone meanwhile {self.gone}, "
                 f"original missing {len(self.missing)}, checksum mismatch {len(self.corrupt)}"]
        lines += [f"  original missing: {image_id}" for image_id in self.missing[:20]]
        lines += [f"  checksum mismatch (not moved): {image_id}" for image_id in self.corrupt[:20]]
        return "\n".join(lines)


class ChecksumMismatch(RuntimeError):
    """A blob read back from the target store is not the bytes written."""


def _keys(r: redis.Redis, catalogue: Catalogue, batch: int) -> Iterator[list[str]]:
    """The catalogue's picture keys, `batch` at a time (SCAN: pictures added meanwhile may
    or may not be seen; a rerun catches them)."""
    chunk: list[str] = []
    for raw in r.scan_iter(match=catalogue.prefix + "*", count=batch, _type="hash"):
        key = text(raw)
        if is_valid_image_id(key[len(catalogue.prefix):]):
            chunk.append(key)
        if len(chunk) >= batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _needs_move(reference: list[object], target: originals.BlobStore | None) -> bool:
    spec, data_length = text(reference[0]), int(reference[1] or 0)
    if target is None:
        return bool(spec)
    return data_length > 0 or (bool(spec) and spec != target.spec)


def _where(fields: dict[str, bytes], known: Iterable[originals.BlobStore | None]
           ) -> tuple[originals.BlobStore | None, str]:
    spec = text(fields.get("blob_store"))
    if not spec:
        return None, ""
    return originals.store_for(spec, known), text(fields.get("blob_key"))


def _move(
    r: redis.Redis, key: str, target: originals.BlobStore | None,
    known: list[originals.BlobStore | None], report: MigrationReport,
) -> None:
    image_id = key.rsplit(":", 1)[-1]
    written_to_target = False
    for _ in range(ATTEMPTS):
        with r.pipeline(transaction=True) as pipe:
            pipe.watch(key)
            raw = pipe.hgetall(key)
            pttl = int(pipe.pttl(key))
            fields = {text(name): value for name, value in raw.items()}
            if not fields:
                if written_to_target and target is not None:
                    target.delete([key])
                report.gone += 1
                return
            source, source_key = _where(fields, known)
            if not _needs_move([fields.get("blob_store"), len(fields.get(IMAGE_DATA, b""))],
                               target):
                report.already += 1
                return
            data = fields.get(IMAGE_DATA) if source is None else source.get(source_key)
            if data is None:
                report.missing.append(image_id)
                return
            digest = originals.checksum(data)
            expected = text(fields.get("checksum"))
            if expected and expected != digest:
                report.corrupt.append(image_id)
                return
            fresh = {name: value for name, value in fields.items()
                     if name != IMAGE_DATA and name not in Image.BLOB_REFERENCE}
            fresh["checksum"] = digest.encode()
            if target is None:
                fresh[IMAGE_DATA] = data
            else:
                target.put(key, data)
                written_to_target = True
                back = target.get(key)
                if back is None or originals.checksum(back) != digest:
                    raise ChecksumMismatch(f"{target.spec}: {key} did not read back as written")
                fresh.update(blob_store=target.spec.encode(), blob_key=key.encode(),
                             blob_size=str(len(data)).encode())
            pipe.multi()
            pipe.delete(key)
            pipe.hset(key, mapping=fresh)
            if pttl > 0:
                pipe.pexpire(key, pttl)
            try:
                pipe.execute()
            except redis.WatchError:
                continue
        if source is not None and (source is not target or source_key != key):
            try:
                source.delete([source_key])
            except originals.StoreUnavailable as exc:
                log.warning("%s: the old copy stays for the sweep: %s", key, exc)
        report.moved += 1
        return
    raise RuntimeError(f"{key} kept changing during {ATTEMPTS} attempts to move it")


def migrate(
    r: redis.Redis,
    target: originals.BlobStore | None,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
    *,
    batch: int = DEFAULT_BATCH,
    progress: bool = True,
) -> MigrationReport:
    """Move every picture's original to `target` (None: into its hash).

    Raises `originals.StoreUnavailable` (or a RedisError) when a store or Redis
    fails: what was moved stays moved, and running it again resumes.
    """
    report = MigrationReport()
    known = [target, catalogue.originals]
    total = int(run_search(r, count_argv(catalogue.index, "*"))[0])
    started = time.monotonic()
    with tqdm(total=total, desc="migrating", unit="picture",
              disable=None if progress else True) as bar:
        for keys in _keys(r, catalogue, batch):
            with r.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hget(key, "blob_store")
                    pipe.hstrlen(key, IMAGE_DATA)
                replies = pipe.execute()
            for number, key in enumerate(keys):
                if _needs_move(replies[2 * number:2 * number + 2], target):
                    _move(r, key, target, known, report)
                else:
                    report.already += 1
                bar.update()
    log.info("migration to %s: %s (%.1f s)", target.spec if target else "redis",
             report.summary().splitlines()[0], time.monotonic() - started)
    return report
