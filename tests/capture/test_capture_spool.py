"""The spool: atomic, ordered, bounded, never evicting; and replay through Redis trouble."""

from __future__ import annotations

import logging
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from picat import acl
from picat.capture import spool as spool_module
from picat.capture.durable import DurableWriter, NotDurable, connect_single
from picat.capture.service import CaptureService, build_capture
from picat.capture.spool import Capture, Spool, SpoolBusy, SpoolFull
from picat.capture.triggers import IntervalTrigger
from picat.capture.uploader import Uploader
from picat.embedded import EmbeddedRedis, free_port
from picat.schema import DEFAULT_CATALOGUE, Catalogue, store

from .helpers import small_camera


def captures(count: int, ttl: int = 0, at: float | None = None) -> list[Capture]:
    camera = small_camera(clock=(lambda: at) if at is not None else time.time)
    return [build_capture(camera.capture(), "spool-cam", "interval", ttl) for _ in range(count)]


def test_round_trip_in_capture_order(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 2**20)
    made = captures(3)
    for capture in reversed(made):
        spool.put(capture)
    back = [spool.read(path) for path in spool.pending()]
    assert [c.image.pk for c in back] == [c.image.pk for c in made]
    assert back[0].image == made[0].image
    assert (back[0].image_data, back[0].thumbnail) == (made[0].image_data, made[0].thumbnail)
    assert not list(tmp_path.glob("*.tmp"))


def test_one_process_per_spool_directory(tmp_path: Path) -> None:
    first = Spool(tmp_path, 2**20)
    with pytest.raises(SpoolBusy, match="in use by another"):
        Spool(tmp_path, 2**20)
    first.close()
    Spool(tmp_path, 2**20).close()


def test_full_spool_refuses_and_keeps_everything(tmp_path: Path) -> None:
    made = captures(4)
    size = len(made[0].encode())
    spool = Spool(tmp_path, int(size * 2.5))
    spool.put(made[0])
    spool.put(made[1])
    with pytest.raises(SpoolFull, match="full"):
        spool.put(made[2])
    assert [p.stem for p in spool.pending()] == [made[0].image.pk, made[1].image.pk]


def test_unreadable_file_is_set_aside_loudly(
    tmp_path: Path, redis_url: str, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path, 2**20)
    (tmp_path / "01ARZ3NDEKTSV4RRFFQ69G5FAV.spool").write_bytes(b"half a file")
    uploader = Uploader(spool, DurableWriter(connect_single(redis_url), catalogue), catalogue)
    with caplog.at_level(logging.ERROR):
        assert uploader.drain_once() == 0
    assert (tmp_path / "01ARZ3NDEKTSV4RRFFQ69G5FAV.bad").exists()
    assert "cannot read spooled capture" in caplog.text


def test_capture_past_its_retention_is_kept_flagged_not_dropped(
    tmp_path: Path, redis_url: str, r: redis.Redis, catalogue: Catalogue,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Spooled longer than its TTL (or taken by a clock behind): stored, flagged, full TTL."""
    spool = Spool(tmp_path, 2**20)
    (old,) = captures(1, ttl=3600, at=time.time() - 7200)
    spool.put(old)
    uploader = Uploader(spool, DurableWriter(connect_single(redis_url), catalogue), catalogue)
    with caplog.at_level(logging.WARNING):
        assert uploader.drain_once() == 1
    assert "clock_suspect" in caplog.text
    key = catalogue.key(old.image.pk)
    assert r.hget(key, "clock_suspect") == b"1"
    assert 3500 < r.ttl(key) <= 3600
    assert spool.pending() == []


def test_full_spool_stops_capturing_while_redis_is_away(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    one = len(captures(1)[0].encode())
    spool = Spool(tmp_path, one * 3)
    nobody = connect_single(f"redis://127.0.0.1:{free_port()}/0")
    uploader = Uploader(spool, DurableWriter(nobody, DEFAULT_CATALOGUE), DEFAULT_CATALOGUE)
    service = CaptureService(
        small_camera(), IntervalTrigger(0.02), spool, uploader, "spool-cam", 0
    )
    stop = threading.Event()
    running = threading.Thread(target=service.run, args=(stop,))
    with caplog.at_level(logging.WARNING):
        running.start()
        time.sleep(1.5)
        stop.set()
        running.join(10)
    assert not running.is_alive()
    assert "SPOOL FULL" in caplog.text
    assert "Redis is unreachable" in caplog.text
    assert 2 <= len(spool.pending()) <= 3
    assert spool.used_bytes() <= spool.max_bytes


@pytest.fixture
def private_server(embedded_redis: Callable[..., EmbeddedRedis]) -> EmbeddedRedis:
    return embedded_redis()


def test_refused_write_stays_spooled_then_replays(
    private_server: EmbeddedRedis, tmp_path: Path
) -> None:
    admin = redis.Redis.from_url(private_server.url)
    spool = Spool(tmp_path, 2**20)
    made = captures(3)
    for capture in made:
        spool.put(capture)
    uploader = Uploader(
        spool, DurableWriter(connect_single(private_server.url)), DEFAULT_CATALOGUE
    )

    admin.config_set("maxmemory", 1)
    assert not uploader.try_drain()
    assert uploader.outage is not None and "maxmemory" in uploader.outage
    assert len(spool.pending()) == 3

    admin.config_set("maxmemory", 0)
    assert uploader.try_drain()
    assert spool.pending() == []
    assert [admin.exists(DEFAULT_CATALOGUE.key(c.image.pk)) for c in made] == [1, 1, 1]


def test_without_aof_the_write_is_accepted_with_one_warning(
    private_server: EmbeddedRedis, caplog: pytest.LogCaptureFixture
) -> None:
    redis.Redis.from_url(private_server.url).config_set("appendonly", "no")
    writer = DurableWriter(connect_single(private_server.url))
    with caplog.at_level(logging.WARNING):
        for capture in captures(2):
            writer.write([capture])
    assert caplog.text.count("cannot confirm pictures on disk") == 1
    assert not writer.aof.supported


def write_late(server: EmbeddedRedis, spool: Spool, capture: Capture) -> Uploader:
    """Redis acknowledges the capture's EXEC, but WAITAOF times out (no fsync at all)."""
    admin = redis.Redis.from_url(server.url)
    spool.put(capture)
    uploader = Uploader(spool, DurableWriter(connect_single(server.url)), DEFAULT_CATALOGUE)
    admin.config_set("appendfsync", "no")
    assert not uploader.try_drain()
    assert uploader.outage is not None and "did not confirm" in uploader.outage
    assert admin.exists(DEFAULT_CATALOGUE.key(capture.image.pk))
    admin.config_set("appendfsync", "everysec")
    return uploader


@pytest.mark.parametrize("curate", [store.delete, store.keep])
def test_a_late_confirmation_does_not_undo_a_delete_or_a_keep(
    private_server: EmbeddedRedis, tmp_path: Path, curate: Callable[..., bool]
) -> None:
    admin = redis.Redis.from_url(private_server.url)
    (capture,) = captures(1, ttl=3600)
    spool = Spool(tmp_path, 2**20)
    uploader = write_late(private_server, spool, capture)
    assert curate(admin, capture.image.pk)

    assert uploader.try_drain()
    assert spool.pending() == []
    key = DEFAULT_CATALOGUE.key(capture.image.pk)
    if curate is store.delete:
        assert not admin.exists(key)
    else:
        assert admin.ttl(key) == -1 and admin.hget(key, "expires_at") is None


def test_a_restarted_capture_rewrites_only_what_a_restarted_redis_may_have_lost(
    embedded_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    server = embedded_redis()
    admin = redis.Redis.from_url(server.url)
    kept, lost = captures(2, ttl=3600)
    keys = [DEFAULT_CATALOGUE.key(c.image.pk) for c in (kept, lost)]

    # `picat capture` dies after the EXEC, before WAITAOF returned; the user deletes the
    # picture; capture starts again with Redis still in the same run: nothing is rewritten.
    spool = Spool(tmp_path, 2**20)
    write_late(server, spool, kept)
    spool.close()
    admin.delete(keys[0])
    spool = Spool(tmp_path, 2**20)
    writer = DurableWriter(connect_single(server.url))
    assert Uploader(spool, writer, DEFAULT_CATALOGUE).try_drain()
    assert spool.pending() == [] and not admin.exists(keys[0])

    # The same, but Redis restarts in between and has not got the picture: it is rewritten.
    write_late(server, spool, lost)
    spool.close()
    server.stop()
    server = embedded_redis(data_dir=server.data_dir, port=server.port)
    admin = redis.Redis.from_url(server.url)
    admin.delete(keys[1])  # as if lost in a crash of the Redis host
    spool = Spool(tmp_path, 2**20)
    writer = DurableWriter(connect_single(server.url))
    assert Uploader(spool, writer, DEFAULT_CATALOGUE).try_drain()
    assert spool.pending() == [] and admin.exists(keys[1])


def test_with_the_capture_acl_role_only_a_new_connection_rewrites(
    private_server: EmbeddedRedis, tmp_path: Path
) -> None:
    """INFO is refused to the capture role: the run id is unknown, asked once, and only the
    same-connection case can skip the rewrite (docs/capture.md, "No resurrection")."""
    admin = redis.Redis.from_url(private_server.url)
    capture_role = next(role for role in acl.ROLES if role.name == "capture")
    admin.execute_command(*acl.setuser_command(capture_role, [acl.password_hash("pw")]))
    url = acl.role_url(private_server.url, capture_role, "pw")
    first, second = captures(2, ttl=3600)
    keys = [DEFAULT_CATALOGUE.key(c.image.pk) for c in (first, second)]

    spool = Spool(tmp_path, 2**20)
    spool.put(first)
    uploader = Uploader(spool, DurableWriter(connect_single(url)), DEFAULT_CATALOGUE)
    admin.config_set("appendfsync", "no")
    assert not uploader.try_drain()
    assert [p.name for p in spool.pending()] == [f"{first.image.pk}.unknown.acked"]
    admin.delete(keys[0])
    admin.config_set("appendfsync", "everysec")
    assert uploader.try_drain() and not admin.exists(keys[0])

    spool.put(second)
    admin.config_set("appendfsync", "no")
    assert not uploader.try_drain()
    spool.close()
    admin.config_set("appendfsync", "everysec")
    admin.delete(keys[1])
    spool = Spool(tmp_path, 2**20)
    assert Uploader(spool, DurableWriter(connect_single(url)), DEFAULT_CATALOGUE).try_drain()
    assert admin.exists(keys[1])  # Redis might have lost it: the safe side is to rewrite

    # One refused INFO per writer, not one per batch, in the log operators watch.
    log = admin.acl_log()
    assert [entry["count"] for entry in log if entry["object"] == "info"] == [2]


def test_a_connection_id_reused_after_a_restart_is_not_the_same_connection(
    embedded_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    """A restarted Redis numbers connections from 1 again: WAITAOF on the reconnect that
    got the old id would confirm nothing of what the lost run acknowledged."""
    server = embedded_redis()
    earlier = [redis.Redis.from_url(server.url) for _ in range(30)]
    for client in earlier:
        client.ping()
    writer = DurableWriter(connect_single(server.url))
    (capture,) = captures(1, ttl=3600)
    old_id = writer.r.client_id()
    acknowledged = writer.send([capture])

    server.kill()  # the write was acknowledged, maybe never on disk
    server = embedded_redis(data_dir=tmp_path / "empty", port=server.port)
    others = [redis.Redis.from_url(server.url)]
    while others[-1].client_id() < old_id - 1:  # other clients reconnect first
        others.append(redis.Redis.from_url(server.url))
    assert writer.r.client_id() == old_id
    with pytest.raises(NotDurable, match="re-established"):
        writer.confirm_acknowledged(acknowledged)


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 192 KB filesystem (tmpfs) for the spool: a real ENOSPC, no fake."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({made.stderr.strip()}): needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_pauses_capture_with_the_message_and_no_partial_file(
    small_disk: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool_module, "DISK_MARGIN", 0)  # let writes reach ENOSPC itself
    spool = Spool(small_disk / "spool", 2**30)  # SPOOL_MAX_MB is not what stops it
    nobody = connect_single(f"redis://127.0.0.1:{free_port()}/0")
    uploader = Uploader(spool, DurableWriter(nobody, DEFAULT_CATALOGUE), DEFAULT_CATALOGUE)
    service = CaptureService(small_camera(), IntervalTrigger(0.01), spool, uploader, "disk", 0)
    stop = threading.Event()
    stop.set()  # the pause's recheck wait returns at once
    with caplog.at_level(logging.ERROR):
        for _ in range(200):
            if service._room_for_next(stop):
                service.capture_one()  # never raises: ENOSPC is "spool full"
    assert "SPOOL FULL" in caplog.text
    assert list(spool.directory.glob("*.tmp")) == []
    for path in spool.pending():
        spool.read(path)  # every file kept is whole
    assert len(spool.pending()) >= 3
    spool.close()
    assert oct(spool.directory.stat().st_mode & 0o777) == "0o700"
    assert {oct(path.stat().st_mode & 0o777) for path in spool.pending()} == {"0o600"}
