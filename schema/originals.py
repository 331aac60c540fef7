"""Where full-size pictures live: in their hash (`redis`), in a folder, or in an S3 bucket.

`IMAGE_STORE` names the store new pictures go to: `redis` (the default: the JPEG is
the hash's `image_data` field, as in the seed project), `file:/path/to/dir`, or
`s3://bucket/prefix`. With a folder or a bucket the hash keeps everything else
(metadata, thumbnail) and a reference to the blob: `blob_store` (the store's spec),
`blob_key`, `blob_size`, and the `checksum` (sha256) of the bytes. A blob's key is
its hash's key (`image:<id>`), so a blob can always be traced back to the hash
that should refer to it (the orphan sweep relies on that).

Readers follow the hash: a hash with `image_data` is served from Redis whatever
`IMAGE_STORE` says, and one with `blob_store` from that store, so pictures written
under different settings (and during `picat store migrate`) live side by side.

S3 goes through boto3: the usual AWS variables (`AWS_ENDPOINT_URL`, `AWS_REGION`,
`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, profiles) configure it, which is what
AWS, Cloudflare R2, Backblaze B2, Garage and SeaweedFS all document; it is pure
Python, so it installs on any Pi, and it presigns URLs. Since botocore 1.36 it adds
CRC checksums to every upload by default, which some S3-compatible servers reject,
so those are only sent where required; uploads carry Content-MD5 instead, which
every S3 API checks before it answers, so a 200 means the bytes arrived intact.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

REDIS_SPEC = "redis"
CHUNK = 256 * 1024
"""Bytes read at a time when a blob is streamed: a zip or a response holds one chunk."""


class StoreUnavailable(RuntimeError):
    """The blob store could not be reached or refused the operation."""


class StoreSpecError(ValueError):
    """An `IMAGE_STORE` value that names no store."""


@dataclass(frozen=True)
class Listed:
    """One blob found by a listing: its key and when it was last written (Unix seconds)."""

    key: str
    modified: float


@dataclass(frozen=True)
class Blob:
    """A blob opened for reading: its size, and its bytes a chunk at a time."""

    size: int
    chunks: Iterator[bytes]


def checksum(data: bytes) -> str:
    """The `checksum` field: sha256 of the original bytes, hex."""
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """What every external store does; keys are hash keys (`image:<id>`)."""

    spec: str

    def put(self, key: str, data: bytes) -> None:
        """Write the blob and return only once the store has it durably."""
        raise NotImplementedError

    def get(self, key: str) -> bytes | None:
        """The whole blob, None if it does not exist."""
        blob = self.open(key)
        return None if blob is None else b"".join(blob.chunks)

    def open(self, key: str) -> Blob | None:
        """The blob for streaming, None if it does not exist."""
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def delete(self, keys: Iterable[str]) -> None:
        """Remove these blobs; keys that do not exist are not an error."""
        raise NotImplementedError

    def scan(self, prefix: str, after: str = "") -> Iterator[Listed]:
        """The blobs whose key starts with `prefix` and sorts after `after`, in key order."""
        raise NotImplementedError

    def presign(self, key: str, seconds: int, filename: str | None) -> str | None:
        """A URL that serves the blob for `seconds` without our server, if the store has one."""
        return None

    def close(self) -> None:
        """Free the client's connections."""


class FileStore(BlobStore):
    """A folder: `image:<id>` is `<dir>/image/<id>`, written to a temporary file, fsynced,
    then renamed, so a blob either is complete or does not exist."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self.spec = f"file:{self.directory}"

    def _path(self, key: str) -> Path:
        parts = key.split(":")
        if any(part in ("", ".", "..") or "/" in part for part in parts):
            raise ValueError(f"{key!r} is not a blob key")
        return self.directory.joinpath(*parts)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        temporary = path.with_name(path.name + ".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
            fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise StoreUnavailable(f"cannot write {path}: {exc.strerror or exc}") from exc

    def open(self, key: str) -> Blob | None:
        path = self._path(key)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed by the generator
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreUnavailable(f"cannot read {path}: {exc.strerror or exc}") from exc
        size = os.fstat(handle.fileno()).st_size

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(CHUNK):
                    yield chunk

        return Blob(size, chunks())

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            try:
                self._path(key).unlink(missing_ok=True)
            except OSError as exc:
                raise StoreUnavailable(f"cannot delete {key}: {exc.strerror or exc}") from exc

    def scan(self, prefix: str, after: str = "") -> Iterator[Listed]:
        """Blob keys of a catalogue are `<prefix><id>`: one folder, read once, in name order."""
        folder = self._path(prefix + "x").parent
        try:
            names = sorted(
                entry.name for entry in os.scandir(folder)
                if entry.is_file() and not entry.name.endswith(".tmp")
            )
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreUnavailable(f"cannot list {folder}: {exc.strerror or exc}") from exc
        for name in names:
            key = prefix + name
            if key > after and key.startswith(prefix):
                with contextlib.suppress(FileNotFoundError):
                    yield Listed(key, (folder / name).stat().st_mtime)


class S3Store(BlobStore):
    """A bucket and a key prefix: `image:<id>` is the object `<prefix>/image:<id>`."""

    def __init__(self, bucket: str, prefix: str, client: Any | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.spec = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self.client = client if client is not None else s3_client()
        from botocore.exceptions import BotoCoreError, ClientError

        self._errors = (BotoCoreError, ClientError)

    def _object(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _unavailable(self, action: str, exc: Exception) -> StoreUnavailable:
        return StoreUnavailable(f"{self.spec}: cannot {action}: {exc}")

    def put(self, key: str, data: bytes) -> None:
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._object(key), Body=data, ContentMD5=md5,
                ContentType="application/octet-stream",
            )
        except self._errors as exc:
            raise self._unavailable(f"write {key}", exc) from exc

    def open(self, key: str) -> Blob | None:
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=self._object(key))
        except self._errors as exc:
            if _not_found(exc):
                return None
            raise self._unavailable(f"read {key}", exc) from exc
        body = reply["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(CHUNK)
            except self._errors as exc:
                raise self._unavailable(f"read {key}", exc) from exc
            finally:
                body.close()

        return Blob(int(reply["ContentLength"]), chunks())

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except self._errors as exc:
            if _not_found(exc):
                return False
            raise self._unavailable(f"look for {key}", exc) from exc
        return True

    def delete(self, keys: Iterable[str]) -> None:
        names = [self._object(key) for key in keys]
        for start in range(0, len(names), 1000):  # DeleteObjects takes at most 1,000
            objects = [{"Key": name} for name in names[start:start + 1000]]
            try:
                reply = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True}
                )
            except self._errors as exc:
                raise self._unavailable("delete", exc) from exc
            if reply.get("Errors"):
                error = reply["Errors"][0]
                raise StoreUnavailable(
                    f"{self.spec}: cannot delete {error.get('Key')}: {error.get('Message')}"
                )

    def scan(self, prefix: str, after: str = "") -> Iterator[Listed]:
        strip = len(self._object(""))
        start = self._object(max(after, prefix))
        while True:
            try:
                reply = self.client.list_objects_v2(
                    Bucket=self.bucket, Prefix=self._object(prefix), StartAfter=start,
                    MaxKeys=1000,
                )
            except self._errors as exc:
                raise self._unavailable("list", exc) from exc
            contents = reply.get("Contents", [])
            for item in contents:
                yield Listed(item["Key"][strip:], item["LastModified"].timestamp())
            if not contents or not reply.get("IsTruncated"):
                return
            start = contents[-1]["Key"]

    def presign(self, key: str, seconds: int, filename: str | None) -> str | None:
        params = {"Bucket": self.bucket, "Key": self._object(key)}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)

    def close(self) -> None:
        self.client.close()


def _not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


def s3_client(endpoint_url: str | None = None, **credentials: str) -> Any:
    """A boto3 S3 client from the usual AWS settings (`AWS_ENDPOINT_URL`, `AWS_REGION`, ...).

    Few retries and short timeouts: an unreachable store must leave captures in the
    spool quickly, not stall the uploader for a minute of backoff.
    """
    import boto3
    from botocore.config import Config

    config = Config(
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=3,
        read_timeout=20,
        s3={"addressing_style": "path" if endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
            else "auto"},
    )
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, region_name=region, config=config, **credentials
    )


def parse_spec(spec: str) -> tuple[str, str]:
    """('redis'|'file'|'s3', the rest) for an `IMAGE_STORE` value; StoreSpecError if not one."""
    text = spec.strip()
    if text == REDIS_SPEC:
        return REDIS_SPEC, ""
    if text.startswith("file:") and text[5:]:
        return "file", text[5:]
    if text.startswith("s3://"):
        bucket = text[5:].split("/", 1)[0]
        if 3 <= len(bucket) <= 63:
            return "s3", text[5:]
    raise StoreSpecError(
        f"{spec!r} is not a store: use redis, file:/path/to/folder or s3://bucket/prefix"
    )


def open_store(spec: str) -> BlobStore | None:
    """The store an `IMAGE_STORE` value names; None for `redis` (originals in the hash)."""
    kind, rest = parse_spec(spec)
    if kind == REDIS_SPEC:
        return None
    if kind == "file":
        return FileStore(Path(rest).expanduser())
    bucket, _, prefix = rest.partition("/")
    return S3Store(bucket, prefix)


_OPENED: dict[str, BlobStore] = {}
_OPENED_LOCK = threading.Lock()


def store_for(spec: str, known: Iterable[BlobStore | None] = ()) -> BlobStore:
    """The store a hash's `blob_store` names: one of `known` (the configured ones) if its
    spec matches, else one opened from the spec and the environment, once per process."""
    for store in known:
        if store is not None and store.spec == spec:
            return store
    with _OPENED_LOCK:
        if spec not in _OPENED:
            store = open_store(spec)
            if store is None:
                raise StoreSpecError("a blob cannot live in the `redis` store")
            _OPENED[spec] = store
        return _OPENED[spec]

