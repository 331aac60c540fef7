"""Each ACL role does its job on a real Redis with real ACLs, and is refused outside it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
import redis
from redis.exceptions import NoPermissionError

from picat import acl
from picat.embedded import EmbeddedRedis
from picat.schema import DEFAULT_CATALOGUE, Image, connect, index, new_image_id, store
from picat.schema.query.commands import Runner

PASSWORDS = {"capture": "capture pw", "web": "web:pw/1", "admin": "admin-pw"}
ROLES = {role.name: role for role in acl.ROLES}

Server = tuple[EmbeddedRedis, redis.Redis]


@pytest.fixture
def server(embedded_redis: Callable[..., EmbeddedRedis]) -> Server:
    """A private server (its default user is the superuser) with the three users applied."""
    server = embedded_redis()
    root = connect(server.url)
    for role in acl.ROLES:
        hashes = [acl.password_hash(PASSWORDS[role.name])]
        root.execute_command(*acl.setuser_command(role, hashes))
    return server, root


def login(server: Server, role: str) -> redis.Redis:
    return connect(acl.role_url(server[0].url, ROLES[role], PASSWORDS[role]))


def picture(**fields: object) -> Image:
    now = time.time()
    return Image(pk=new_image_id(now), timestamp=now, camera="pi-1", trigger="interval", **fields)


def refused(r: redis.Redis, *command: object) -> None:
    with pytest.raises(NoPermissionError):
        r.execute_command(*command)


def test_capture_writes_and_expires_pictures_and_nothing_else(server: Server) -> None:
    _, root = server
    index.apply(root)
    root.set("other", "secret")
    capture = login(server, "capture")
    image = picture(expires_at=time.time() + 3600)

    store.save(capture, image, b"\xff\xd8jpeg\xff\xd9", b"thumb")
    assert int(capture.execute_command("WAITAOF", 1, 0, 2000)[0]) == 1
    assert capture.client_id() > 0
    key = DEFAULT_CATALOGUE.key(image.pk)
    assert root.hget(key, "image_data") == b"\xff\xd8jpeg\xff\xd9"
    assert 3590 < root.ttl(key) <= 3600

    for command in (
        ("HGET", key, "image_data"),
        ("HGETALL", key),
        ("EXISTS", key),
        ("GET", "other"),
        ("SET", "other", "x"),
        ("HSET", "other:1", "a", "1"),
        ("DEL", "other"),
        ("KEYS", "*"),
        ("SCAN", "0"),
        ("FLUSHALL",),
        ("FLUSHDB",),
        ("CONFIG", "GET", "*"),
        ("ACL", "LIST"),
        ("FT.SEARCH", "idx:images", "*"),
        ("FT.INFO", "idx:images"),
        ("FT.DROPINDEX", "idx:images"),
    ):
        refused(capture, *command)
    assert root.get("other") == b"secret"


def test_web_searches_reads_curates_and_imports_but_cannot_break_anything(
    server: Server,
) -> None:
    _, root = server
    index.apply(root)
    root.set("other", "secret")
    pictures = [picture(lux=10.0 * n, expires_at=time.time() + 600) for n in range(3)]
    for image in pictures:
        store.save(root, image, b"\xff\xd8full", None)
    web = login(server, "web")

    assert Runner(web, DEFAULT_CATALOGUE).count("*") == 3
    groups = web.execute_command(
        "FT.AGGREGATE", "idx:images", "*", "GROUPBY", "1", "@camera",
        "REDUCE", "COUNT", "0", "AS", "n",
    )
    assert groups[1] == [b"camera", b"pi-1", b"n", b"3"]
    assert index.index_info(web, "idx:images") is not None
    first, second, third = (image.pk for image in pictures)
    assert [i.pk for i in store.load_many(web, [first, second])] == [first, second]
    assert store.load_blob(web, first, "image_data") == b"\xff\xd8full"
    assert store.store_thumbnail(web, first, b"thumb")
    assert store.keep(web, second) and root.ttl(DEFAULT_CATALOGUE.key(second)) == -1
    assert store.delete(web, third) and not root.exists(DEFAULT_CATALOGUE.key(third))

    # `picat import`: the duplicate check, then the same write and confirmation as capture.
    imported = picture(checksum="ab" * 32, expires_at=time.time() + 600)
    duplicate = ("FT.SEARCH", "idx:images", f"@checksum:{{{imported.checksum}}}", "NOCONTENT")
    assert web.execute_command(*duplicate)[0] == 0
    store.save(web, imported, b"\xff\xd8imported", b"thumb")
    assert int(web.execute_command("WAITAOF", 1, 0, 2000)[0]) == 1
    assert web.execute_command(*duplicate)[0] == 1

    for command in (
        ("GET", "other"),
        ("SET", "other", "x"),
        ("DEL", "other"),
        ("HSET", "other:1", "a", "1"),
        ("HSET", "idx:images", "a", "1"),
        ("KEYS", "*"),
        ("FLUSHALL",),
        ("FLUSHDB",),
        ("CONFIG", "SET", "maxmemory", "1"),
        ("FT.DROPINDEX", "idx:images"),
        ("FT.CREATE", "idx:mine", *index.schema_args()),
        ("FT.ALIASUPDATE", "idx:images", "idx:mine"),
        ("FT.CONFIG", "SET", "TIMEOUT", "0"),
    ):
        refused(web, *command)
    assert root.get("other") == b"secret"


def test_admin_creates_and_migrates_the_index_but_cannot_wreck_the_server(
    server: Server,
) -> None:
    _, root = server
    root.set("other", "secret")
    store.save(root, picture(), b"\xff\xd8", None)
    # The seed project's hand-made index holds the name `idx:images`.
    root.execute_command(
        "FT.CREATE", "idx:images", "ON", "HASH", "PREFIX", "1", "image:", "SCHEMA",
        "timestamp", "NUMERIC", "SORTABLE",
    )
    admin = login(server, "admin")

    assert index.apply(admin).action == "migrated"
    assert index.apply(admin).action == "unchanged"
    old = DEFAULT_CATALOGUE.versioned_index("00000000")
    root.execute_command("FT.CREATE", old, *index.schema_args()[:5], "SCHEMA", "lux", "NUMERIC")
    root.execute_command("FT.ALIASUPDATE", "idx:images", old)
    result = index.apply(admin)
    assert (result.action, result.replaced) == ("migrated", old)
    assert Runner(admin, DEFAULT_CATALOGUE).count("*") == 1

    for command in (
        ("FLUSHALL",),
        ("FLUSHDB",),
        ("SHUTDOWN", "NOSAVE"),
        ("CONFIG", "SET", "maxmemory", "1"),
        ("ACL", "SETUSER", "intruder", "on", "nopass", "+@all", "~*"),
        ("MODULE", "LIST"),
        ("KEYS", "*"),
        ("EVAL", "return 1", "0"),
        ("FUNCTION", "FLUSH"),
        ("FT.CONFIG", "SET", "TIMEOUT", "0"),
        ("GET", "other"),
        ("DEL", "other"),
    ):
        refused(admin, *command)
    assert root.get("other") == b"secret"
    # The server refuses DEBUG to everyone before ACLs are checked; ask the ACL itself.
    dryrun = root.execute_command("ACL", "DRYRUN", "picat-admin", "DEBUG", "SLEEP", "0")
    assert b"no permissions" in dryrun


def _picat(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PICAT_ACL_")}
    return subprocess.run(
        [sys.executable, "-m", "picat.cli", *args],
        env={**clean, "REDIS_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_applies_users_idempotently_and_admin_url_runs_schema_apply(
    embedded_redis: Callable[..., EmbeddedRedis],
) -> None:
    server = embedded_redis()
    first = _picat(server.url, "acl", "--apply", PICAT_ACL_WEB_PASSWORD="from env")
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("ACL SETUSER") == 3 and "from env" not in first.stdout
    urls = dict(re.findall(r"^\s+(\w+)\s+REDIS_URL=(\S+)", first.stderr, re.MULTILINE))
    assert urls["web"].startswith("redis://picat-web:PASSWORD@")
    assert "in memory only" in first.stderr
    for secret in (urls["capture"], urls["admin"]):
        assert secret.split(":")[2].split("@")[0] not in first.stdout

    schema = _picat(urls["admin"], "schema", "apply")
    assert schema.returncode == 0 and "created" in schema.stdout, schema.stderr

    again = _picat(server.url, "acl", "--apply", "--role", "admin")
    assert again.returncode == 0 and "password unchanged" in again.stderr
    assert again.stdout.count("ACL SETUSER") == 1
    assert index.apply(connect(urls["admin"])).action == "unchanged"

    not_admin = _picat(urls["admin"], "acl", "--apply")
    assert not_admin.returncode == 1 and "ACL SETUSER" in not_admin.stderr
    assert "Traceback" not in not_admin.stderr
