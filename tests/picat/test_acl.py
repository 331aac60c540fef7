"""Each ACL role does its job on a real Redis with real ACLs, and is refused outside it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from redis.exceptions import NoPermissionError

from picat import acl, embedded
from picat.capture.durable import DurableWriter, connect_single
from picat.capture.importer import import_files
from picat.capture.spool import Capture
from picat.embedded import EmbeddedRedis
from picat.passwords import hash_password
from picat.schema import (
    DEFAULT_CATALOGUE,
    connect,
    functions,
    index,
    loading,
    pruning,
    storage,
    store,
)
from picat.schema.query import Filters, count, run_search
from picat.webapp.auth import Auth

from ..factories import jpeg, make_app, picture
from ..forms import csrf_from
from ..running import run_picat

PASSWORDS = {"capture": "capture pw", "web": "web:pw/1", "admin": "admin-pw"}
ROLES = {role.name: role for role in acl.ROLES}


class Server:
    """A private server whose default user is the superuser, with the three users applied."""

    def __init__(self, server: EmbeddedRedis) -> None:
        self.server = server
        self.root = connect(server.url)
        for role in acl.ROLES:
            hashes = [acl.password_hash(PASSWORDS[role.name])]
            self.root.execute_command(*acl.setuser_command(role, hashes))
        self.root.set("other", "secret")

    def url(self, role: str) -> str:
        return acl.role_url(self.server.url, ROLES[role], PASSWORDS[role])

    def login(self, role: str) -> redis.Redis:
        return connect(self.url(role))


@pytest.fixture
def server(embedded_redis: Callable[..., EmbeddedRedis]) -> Server:
    return Server(embedded_redis())


PI_1 = {"camera": "pi-1", "trigger": "interval"}


def refused(r: redis.Redis, *commands: tuple[object, ...]) -> None:
    for command in commands:
        with pytest.raises(NoPermissionError):
            r.execute_command(*command)


DANGEROUS = (
    ("GET", "other"),
    ("SET", "other", "x"),
    ("DEL", "other"),
    ("HSET", "other:1", "a", "1"),
    ("KEYS", "*"),
    ("FLUSHALL",),
    ("FLUSHDB",),
    ("CONFIG", "SET", "maxmemory", "1"),
    ("ACL", "SETUSER", "intruder", "on", "nopass", "+@all", "~*"),
    ("FT.DROPINDEX", "idx:images"),
    ("FT.CONFIG", "SET", "TIMEOUT", "0"),
)


def test_capture_writes_and_expires_pictures_and_nothing_else(server: Server) -> None:
    index.apply(server.root)
    image = picture(**PI_1, expires_at=time.time() + 3600)

    writer = DurableWriter(connect_single(server.url("capture")))
    writer.write([Capture(image, b"\xff\xd8jpeg\xff\xd9", b"thumb")])
    assert writer.aof.supported  # WAITAOF ran and confirmed
    key = DEFAULT_CATALOGUE.key(image.pk)
    assert server.root.hget(key, "image_data") == b"\xff\xd8jpeg\xff\xd9"
    assert 3590 < server.root.ttl(key) <= 3600

    refused(
        server.login("capture"),
        *DANGEROUS,
        ("HGET", key, "image_data"),
        ("HGETALL", key),
        ("EXISTS", key),
        ("SCAN", "0"),
        ("CONFIG", "GET", "*"),
        ("FT.SEARCH", "idx:images", "*"),
        ("FT.INFO", "idx:images"),
    )
    assert server.root.get("other") == b"secret"


def test_web_searches_reads_and_curates_and_cannot_break_anything(server: Server) -> None:
    index.apply(server.root)
    pictures = [picture(**PI_1, lux=10.0 * n, expires_at=time.time() + 600) for n in range(3)]
    for image in pictures:
        store.save(server.root, image, jpeg(), None)
    web = server.login("web")

    assert count(web, Filters())[0] == 3
    by_camera = ["GROUPBY", "1", "@camera", "REDUCE", "COUNT", "0", "AS", "n"]
    groups = run_search(web, ["FT.AGGREGATE", "idx:images", "*", *by_camera])
    assert groups[1] == [b"camera", b"pi-1", b"n", b"3"]
    first, second, third = (image.pk for image in pictures)
    assert [image.pk for image in store.load_many(web, [first, second])] == [first, second]
    assert store.store_thumbnail(web, first, b"thumb")
    assert store.keep(web, second) and server.root.ttl(DEFAULT_CATALOGUE.key(second)) == -1
    assert store.delete(web, third) and not server.root.exists(DEFAULT_CATALOGUE.key(third))
    # INFO: how far a restarting Redis has loaded (the gallery's 503), its memory use.
    assert loading.progress(web) is None and int(web.info("memory")["maxmemory"]) > 0

    refused(
        web,
        *DANGEROUS,
        ("HSET", "idx:images", "a", "1"),  # the index name is not an ordinary key
        ("FT.CREATE", "idx:mine", *index.schema_args()),
        ("FT.ALIASUPDATE", "idx:images", "idx:mine"),
        # It calls the catalogue's read functions, but runs no code of its own.
        ("EVAL", "return 1", "0"),
        ("SCRIPT", "LOAD", "return 1"),
        ("FUNCTION", "LOAD", "#!lua name=mine\nredis.register_function('mine', function() end)"),
        ("FUNCTION", "DELETE", "picat"),
        # Login keys only: no sorted sets or strings among the pictures, nor elsewhere.
        ("ZADD", DEFAULT_CATALOGUE.prefix + "x", "1", "a"),
        ("SET", DEFAULT_CATALOGUE.prefix + "x", "1"),
        ("GET", "other"),
    )
    assert server.root.get("other") == b"secret"


def test_web_cannot_lift_the_search_time_limit_nor_read_pictures_in_a_search(
    server: Server,
) -> None:
    """It used to run FT.AGGREGATE ... LOAD 1 @image_data ... TIMEOUT 0: 14 s of Redis,
    +650 MB. Now its searches go through the read functions, which refuse that."""
    index.apply(server.root)
    store.save(server.root, picture(**PI_1, lux=1.0), jpeg(), None)
    web = server.login("web")
    for command in (
        ["FT.AGGREGATE", "idx:images", "*", "TIMEOUT", "0"],
        ["FT.SEARCH", "idx:images", "*", "TIMEOUT", "0"],
        ["FT.SEARCH", "idx:images", "*", "LIMIT", "0", "10"],
        ["FT.AGGREGATE", "idx:images:v-x", "*"],
    ):
        dry = server.root.execute_command("ACL", "DRYRUN", "picat-web", *command)
        assert b"no permissions" in dry.lower(), command
        with pytest.raises(NoPermissionError):
            web.execute_command(*command)
    for command, why in (
        (["FT.AGGREGATE", "idx:images", "*", "TIMEOUT", "0"], "TIMEOUT"),
        (["FT.AGGREGATE", "idx:images", "*", "timeout", "0"], "TIMEOUT"),
        (["FT.AGGREGATE", "idx:images", "*", "LOAD", "1", "@image_data"], "image_data"),
        (["FT.AGGREGATE", "idx:images", "*", "LOAD", "*"], "LOAD"),
        (["FT.AGGREGATE", "idx:images", "*", "APPLY", "strlen(@thumbnail)", "AS", "n"],
         "thumbnail"),
        (["FT.AGGREGATE", "idx:images", "*", "WITHCURSOR"], "WITHCURSOR"),
        (["FT.SEARCH", "idx:images", "*", "LIMIT", "0", "10"], "NOCONTENT, RETURN"),
        (["FT.SEARCH", "idx:images", "*", "RETURN", "1", "image_data", "NOCONTENT"],
         "image_data"),
        (["FT.DROPINDEX", "idx:images"], "only FT.SEARCH"),
    ):
        with pytest.raises(redis.ResponseError, match=why):
            web.fcall_ro(functions.QUERY, 0, *command)
    # The query alias is allowed by name pattern, but its name holds a 128-bit secret
    # that only the admin may read: a guess names nothing.
    with pytest.raises(redis.ResponseError, match=r"no such index|Unknown index"):
        web.execute_command("FT.AGGREGATE", "idx:images:q-guess", "*", "TIMEOUT", "0")
    with pytest.raises(NoPermissionError):
        web.get(functions.SECRET_KEY)
    assert server.root.exists(functions.SECRET_KEY)
    reply = web.fcall_ro(functions.QUERY, 0, "FT.SEARCH", "idx:images", "*",
                         "NOCONTENT")
    assert reply[0] == 1


def test_the_gallery_and_import_run_with_web_credentials(server: Server, tmp_path: Path) -> None:
    index.apply(server.root)
    seed = picture(**PI_1, lux=5.0)  # no thumbnail yet: the gallery makes and stores one
    store.save(server.root, seed, jpeg(), None)
    client = make_app(server.url("web")).test_client()

    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/api/images").status_code == 200
    assert client.get(f"/images/{seed.pk}/thumbnail").status_code == 200
    assert server.root.hexists(DEFAULT_CATALOGUE.key(seed.pk), "thumbnail")

    # With a password: sessions and login failures live in Redis, under the web user.
    secure = make_app(
        server.url("web"), auth_settings=Auth(hash_password("pw for web"))
    ).test_client()
    token = csrf_from(secure.get("/login").get_data(as_text=True))
    assert secure.post("/login", data={"csrf_token": token, "password": "no"}).status_code == 401
    assert secure.post("/login", data={"csrf_token": token, "password": "pw for web"}
                       ).status_code == 303
    assert secure.get("/").status_code == 200

    (tmp_path / "a.jpg").write_bytes(jpeg())
    web = connect_single(server.url("web"))
    first = import_files(web, [tmp_path], "desk", 600, 64, progress=False)
    again = import_files(web, [tmp_path], "desk", 600, 64, progress=False)
    assert (len(first.imported), len(again.skipped)) == (1, 1)

    # Without the read functions (a new release, before `picat schema apply`), web may
    # not load them: the gallery says what to run instead of failing with a 500.
    server.root.function_delete("picat")
    missing = client.get("/")
    assert missing.status_code == 503 and b"picat schema apply" in missing.data
    index.apply(connect_single(server.url("admin")))
    assert client.get("/").status_code == 200


def test_admin_creates_and_migrates_the_index_but_cannot_wreck_the_server(
    server: Server,
) -> None:
    root = server.root
    store.save(root, picture(**PI_1), b"\xff\xd8", None)
    old_schema = [*index.schema_args()[:6], "lux", "NUMERIC"]
    root.execute_command("FT.CREATE", "idx:images", *old_schema)  # the seed's plain index
    admin = server.login("admin")

    assert index.apply(admin).action == "migrated"
    assert index.apply(admin).action == "unchanged"
    old = DEFAULT_CATALOGUE.versioned_index("00000000")
    root.execute_command("FT.CREATE", old, *old_schema)
    root.execute_command("FT.ALIASUPDATE", "idx:images", old)
    result = index.apply(admin)
    assert (result.action, result.replaced) == ("migrated", old)
    assert count(admin, Filters())[0] == 1
    # `picat up` runs capture and the gallery in one process with one URL: admin covers both.
    taken = picture(**PI_1, expires_at=time.time() + 60)
    DurableWriter(connect_single(server.url("admin"))).write([Capture(taken, b"\xff\xd8", None)])
    assert store.keep(admin, taken.pk) and store.store_thumbnail(admin, taken.pk, b"thumb")
    assert store.load(admin, taken.pk) is not None

    refused(
        admin,
        *(command for command in DANGEROUS if command[0] != "FT.DROPINDEX"),
        ("SHUTDOWN", "NOSAVE"),
        ("MODULE", "LIST"),
        ("EVAL", "return 1", "0"),
        ("SCRIPT", "LOAD", "return 1"),
        ("FUNCTION", "FLUSH"),
    )
    assert root.get("other") == b"secret"
    # The server refuses DEBUG to everyone before ACLs are checked; ask the ACL itself.
    dryrun = root.execute_command("ACL", "DRYRUN", "picat-admin", "DEBUG", "SLEEP", "0")
    assert b"no permissions" in dryrun


def test_users_saved_to_the_acl_file_survive_a_restart(
    embedded_redis: Callable[..., EmbeddedRedis], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aclfile = tmp_path / "users.acl"
    aclfile.touch()
    plain = embedded.server_command

    def with_aclfile(*args: object) -> list[str]:
        return [*plain(*args), "--aclfile", str(aclfile)]  # type: ignore[arg-type]

    monkeypatch.setattr(embedded, "server_command", with_aclfile)
    first = embedded_redis()
    root = connect(first.url)
    root.execute_command(*acl.setuser_command(ROLES["web"], [acl.password_hash("pw")]))
    assert acl.persist(root) == f"saved with ACL SAVE to {aclfile}"
    first.stop()

    # The search module loads before the ACL file, so rules naming FT.* commands load too.
    second = embedded_redis(data_dir=first.data_dir)
    index.apply(connect(second.url))
    web = connect(acl.role_url(second.url, ROLES["web"], "pw"))
    assert index.index_info(web, "idx:images") is not None


def test_cli_applies_users_idempotently_and_admin_url_runs_schema_apply(
    embedded_redis: Callable[..., EmbeddedRedis],
) -> None:
    server = embedded_redis()
    first = run_picat(server.url, "acl", "--apply", PICAT_ACL_WEB_PASSWORD="from env")
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("ACL SETUSER") == 3 and "from env" not in first.stdout
    urls = dict(re.findall(r"^\s+(\w+)\s+REDIS_URL=(\S+)", first.stderr, re.MULTILINE))
    assert urls["web"].startswith("redis://picat-web:PASSWORD@")
    assert "in memory only" in first.stderr
    for generated in (urls["capture"], urls["admin"]):
        assert generated.split(":")[2].split("@")[0] not in first.stdout

    schema = run_picat(urls["admin"], "schema", "apply")
    assert schema.returncode == 0 and "created" in schema.stdout, schema.stderr

    again = run_picat(server.url, "acl", "--apply", "--role", "admin")
    assert again.returncode == 0 and "password unchanged" in again.stderr
    assert again.stdout.count("ACL SETUSER") == 1
    assert index.apply(connect(urls["admin"])).action == "unchanged"

    not_root = run_picat(urls["admin"], "acl", "--apply")
    assert not_root.returncode == 1 and "ACL SETUSER" in not_root.stderr
    assert "Traceback" not in not_root.stderr


def test_import_with_web_credentials_says_to_apply_the_schema_first(
    server: Server, tmp_path: Path
) -> None:
    (tmp_path / "one.jpg").write_bytes(jpeg())
    env = {**os.environ, "REDIS_URL": server.url("web"), "PICAT_DATA_DIR": str(tmp_path)}

    def picat_import() -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "picat.cli", "import", str(tmp_path)]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)

    done = picat_import()
    assert done.returncode == 2, done.stderr
    assert "run `picat schema apply` with the admin credentials first" in done.stderr
    assert "Traceback" not in done.stderr

    index.apply(server.login("admin"))
    again = picat_import()
    assert again.returncode == 0, again.stderr
    assert "imported 1" in again.stdout


def test_the_web_user_makes_a_timelapse(server: Server, tmp_path: Path) -> None:
    from picat.schema.frames import Choice, Pick, count_frames
    from picat.schema.query import Filters
    from picat.timelapse.encode import Size, VideoFormat
    from picat.timelapse.jobs import Jobs, Status
    from picat.timelapse.settings import Limits

    index.apply(server.root)
    for n in range(3):
        store.save(server.root, picture(**PI_1, lux=float(n), time_of_day=43200 + n), jpeg(), None)
    web = server.login("web")
    # One a day is an FT.AGGREGATE that loads each match's key: the web user may run it.
    assert count_frames(web, Filters(), Choice(Pick.DAILY, 43200), stop_after=9) == 1
    jobs = Jobs(web, DEFAULT_CATALOGUE, tmp_path, Limits(), lease=1.0)
    job = jobs.start(Filters(), Choice(), VideoFormat(size=Size.SOURCE), params="",
                     description="")
    deadline = time.monotonic() + 30
    while jobs.get(job.id).running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert jobs.get(job.id).status is Status.DONE and jobs.list()[0].done == 3
    assert jobs.delete(job.id) and jobs.list() == []
    refused(server.login("web"), ("SET", "picat-timelapse:elsewhere", "1"))


def test_retention_runs_with_web_or_admin_credentials_and_capture_quotes_its_numbers(
    server: Server,
) -> None:
    index.apply(server.root)
    start = time.time() - 1000
    for n in range(40):
        image = picture(start + n, expires_at=start + 9999)
        store.save(server.root, image, os.urandom(200_000), None)
    for role in ("web", "admin"):
        r = server.login(role)
        budget = int(storage.memory(server.root).used / 0.95)
        retention = pruning.Retention(r, budget)
        run = retention.step()
        assert run is not None and run.ids, role
        retention.lease.release()
    capture = server.login("capture")
    message = storage.out_of_memory_message(capture)
    assert message.startswith("Redis is out of memory: "), message
    assert ", 0 kept pictures; " in message, message
    refused(capture, ("GET", DEFAULT_CATALOGUE.lease_key), ("INFO", "memory"))
