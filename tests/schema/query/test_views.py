"""Counts, the "new pictures" banner, previous/next, and the commands a page shows."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import redis

from picat.schema import Catalogue, connect, index
from picat.schema.query import (
    Filters,
    QueryError,
    QueryTimeout,
    Sort,
    count,
    count_newer,
    neighbours,
    parse_filters,
    render_command,
    search,
)

from .conftest import Camera
from .walk import expected, walk

BASE = 1_780_000_000.0
LONDON = ZoneInfo("Europe/London")


def reply_ids(reply: list) -> list[str]:
    """The keys of an FT.AGGREGATE reply that loads `@__key`, in its order."""
    found = [dict(zip(row[::2], row[1::2], strict=True))[b"__key"] for row in reply[1:]]
    return [key.decode() for key in found]


def test_count_matches_the_walk_and_counts_newer(
    r: redis.Redis, catalogue: Catalogue, camera: Camera
) -> None:
    shots = [
        camera.shoot(BASE + i * 60, lux=float(i % 4), camera="cam-a" if i % 3 else "cam-b")
        for i in range(60)
    ]
    filters = parse_filters({"camera": "cam-a", "lux_min": "1"}, UTC)
    total, argv = count(r, filters, catalogue=catalogue)
    assert total == len(walk(r, catalogue, filters, Sort.NEWEST, 24)[0]) == 30
    assert argv[-5:] == ["LIMIT", "0", "0", "DIALECT", "2"] and argv[1] == catalogue.index
    since = BASE + 50 * 60
    newer = [shot for shot in shots if shot.timestamp > since]
    assert count_newer(r, filters, since, catalogue=catalogue) == len(
        set(expected(newer, filters, Sort.NEWEST))
    ) == 4
    assert count_newer(r, parse_filters({"to": str(BASE)}, UTC), BASE, catalogue=catalogue) == 0


def test_neighbours_follow_the_view_order(
    r: redis.Redis, catalogue: Catalogue, camera: Camera
) -> None:
    shots = [camera.shoot(BASE + i // 4, lux=float(i % 3)) for i in range(40)]
    shots += [camera.shoot(BASE + 3, lux=None) for _ in range(3)]
    filters = Filters()
    for sort in Sort:
        order = expected(shots, filters, sort)
        for at, image_id in enumerate(order):
            before = order[at - 1] if at else None
            after = order[at + 1] if at + 1 < len(order) else None
            got = neighbours(r, image_id, filters, sort, catalogue=catalogue)
            assert got == (before, after), (sort, at)
    assert neighbours(r, "01JGVHTMWX11EAG5VHQ6XPYGNN", filters, Sort.NEWEST,
                      catalogue=catalogue) == (None, None)
    with pytest.raises(QueryError) as caught:
        neighbours(r, "../etc", filters, Sort.NEWEST, catalogue=catalogue)
    assert caught.value.field == "id"


def test_every_shown_command_returns_the_same_ids_in_redis_cli(
    r: redis.Redis, redis_url: str, catalogue: Catalogue, camera: Camera
) -> None:
    for i in range(80):
        camera.shoot(BASE + (i // 10) * 3600, lux=float(i % 5), camera="cam.b")
    filters = parse_filters({"camera": "cam.b", "tod_from": "22:00", "tod_to": "08:00"}, UTC)
    ids, pages = walk(r, catalogue, filters, Sort.BRIGHTEST, 10)
    assert ids
    cli = shutil.which("redis-cli")
    host, port = redis_url.split("//")[1].split("/")[0].split(":")
    for page in pages:
        seen: list[str] = []
        for argv in page.commands:
            line = render_command(argv)
            assert "\n" not in line
            direct = r.execute_command(*argv)
            if argv[0] == "FT.AGGREGATE":
                seen += reply_ids(direct)
            if cli:
                shell = f"{cli} -h {host} -p {port} --no-raw {line}"
                out = subprocess.run(["sh", "-c", shell], capture_output=True, text=True,
                                     check=True).stdout
                keys = reply_ids(direct) if argv[0] == "FT.AGGREGATE" else []
                assert [k for k in re.findall(r'"([^"]+)"', out) if k in keys] == keys
        # the boxes' keys, in the order they came, are the page's pictures
        assert [catalogue.key(image.pk) for image in page.images] == seen[:len(page.images)]


def test_a_cursor_is_a_readable_position_and_a_bad_one_is_a_query_error(
    r: redis.Redis, catalogue: Catalogue, camera: Camera
) -> None:
    shots = [camera.shoot(BASE + i, lux=float(i % 4)) for i in range(30)]
    page = search(r, Filters(), Sort.NEWEST, 10, None, catalogue=catalogue)
    last = page.images[-1]
    assert page.next_cursor == f"{last.timestamp:.0f},{last.pk}"
    # Any position is a fair start: a hand-written one continues after that picture.
    order = expected(shots, Filters(), Sort.NEWEST)
    cursor = f"{BASE + 20:.0f},{order[9]}"
    following = search(r, Filters(), Sort.NEWEST, 5, cursor, catalogue=catalogue)
    assert [image.pk for image in following.images] == order[10:15]
    brightest = search(r, Filters(), Sort.BRIGHTEST, 4, None, catalogue=catalogue)
    assert brightest.next_cursor == f"3,{BASE + 15:.0f},{brightest.images[-1].pk}"
    for cursor, sort in (
        (page.next_cursor[:-2] + "!!", Sort.NEWEST),
        (page.next_cursor, Sort.BRIGHTEST),
        (brightest.next_cursor, Sort.OLDEST),
        ("1e9," + last.pk, Sort.NEWEST),
    ):
        with pytest.raises(QueryError) as caught:
            search(r, Filters(), sort, 10, cursor, catalogue=catalogue)
        assert caught.value.field == "cursor"
    with pytest.raises(QueryError):
        search(r, Filters(), Sort.NEWEST, 0, None, catalogue=catalogue)


def test_time_of_day_window_across_a_daylight_saving_change(
    r: redis.Redis, catalogue: Catalogue
) -> None:
    """Europe/London moves from GMT to BST on 2026-03-29: 06:30 local is 06:30 UTC
    the day before and 05:30 UTC the day after; both are in a 06:00-08:00 window."""
    london = Camera(r, catalogue, LONDON)
    inside = [
        london.shoot(datetime(2026, 3, 28, 6, 30, tzinfo=LONDON).timestamp()),
        london.shoot(datetime(2026, 3, 30, 6, 30, tzinfo=LONDON).timestamp()),
        london.shoot(datetime(2026, 3, 30, 7, 59, tzinfo=LONDON).timestamp()),
    ]
    outside = [
        london.shoot(datetime(2026, 3, 28, 8, 0, tzinfo=LONDON).timestamp()),
        london.shoot(datetime(2026, 3, 30, 5, 59, tzinfo=LONDON).timestamp()),
        london.shoot(datetime(2026, 3, 30, 7, 30, tzinfo=UTC).timestamp()),  # 08:30 BST
    ]
    window = parse_filters({"tod_from": "06:00", "tod_to": "08:00"}, LONDON)
    ids, _ = walk(r, catalogue, window, Sort.OLDEST, 24)
    assert ids == [shot.id for shot in inside]
    night = parse_filters({"tod_from": "22:00", "tod_to": "02:00"}, LONDON)
    late = london.shoot(datetime(2026, 3, 29, 0, 30, tzinfo=LONDON).timestamp())
    early = london.shoot(datetime(2026, 3, 29, 3, 30, tzinfo=LONDON).timestamp())  # 01:30 GMT
    ids, _ = walk(r, catalogue, night, Sort.OLDEST, 24)
    assert late.id in ids and early.id not in ids and not set(ids) & {s.id for s in outside}


def test_a_server_timeout_is_a_query_timeout(embedded_redis) -> None:
    server = embedded_redis()
    private = connect(server.url)
    catalogue = Catalogue()
    index.apply(private, catalogue)
    with private.pipeline(transaction=False) as pipe:
        for i in range(60_000):
            pipe.hset(f"image:{1_700_000_000 + i}", mapping={"timestamp": str(1_700_000_000 + i)})
        pipe.execute()
    private.execute_command("FT.CONFIG", "SET", "TIMEOUT", "1")
    with pytest.raises(QueryTimeout):
        search(private, Filters(), Sort.OLDEST, 24, None)
