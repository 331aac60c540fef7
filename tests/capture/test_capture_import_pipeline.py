"""The import pipeline: workers keep file order, copies follow the first file's fate,
a reduced JPEG decode still rejects a truncated file and keeps the real size, a worker
decodes only the bytes that were hashed, and a write Redis refuses on the writer thread
stops the run."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from PIL import Image as PILImage

from picat.capture import importer, workers
from picat.capture.decoding import Rejected, describe
from picat.capture.durable import NotDurable, connect_single
from picat.capture.importer import _decode, _File, already_imported, import_files
from picat.embedded import EmbeddedRedis
from picat.schema import Catalogue, index
from picat.schema.store import save_many

from ..factories import jpeg


def square(number: int) -> int:
    return number * number


@pytest.mark.parametrize("count", [3, 50])
def test_ordered_map_keeps_input_order_inline_and_in_workers(count: int) -> None:
    assert list(workers.ordered_map(square, iter(range(count)), count)) == [
        n * n for n in range(count)
    ]


def test_small_jobs_and_one_worker_run_inline() -> None:
    assert workers.processes(workers.MIN_PARALLEL_ITEMS - 1) == 0
    assert workers.processes(50, workers=1) == 0
    assert workers.processes(50) == (workers.cores() if workers.cores() >= 2 else 0)


PHOTO = (1600, 1200)  # a camera's size: decoded reduced, thumbnailed


def test_reduced_decode_keeps_the_full_size_and_turns_the_thumbnail_upright(
    tmp_path: Path,
) -> None:
    path = tmp_path / "portrait.jpg"
    path.write_bytes(jpeg((200, 180, 40), PHOTO, quality=90, orientation=6))
    described = describe(path, path.read_bytes(), 320)
    assert (described.width, described.height) == (1200, 1600)
    assert PILImage.open(io.BytesIO(described.thumbnail)).size == (240, 320)
    assert described.lux > 1000


def test_reduced_decode_still_rejects_a_truncated_jpeg(tmp_path: Path) -> None:
    data = jpeg((10, 120, 200), PHOTO, quality=90)
    with pytest.raises(Rejected, match="truncated"):
        describe(tmp_path / "cut.jpg", data[: len(data) * 2 // 3], 320)


def test_a_worker_rejects_a_file_that_changed_after_it_was_hashed(tmp_path: Path) -> None:
    path = tmp_path / "edited.jpg"
    path.write_bytes(jpeg((90, 90, 90), (64, 48), quality=90))
    hashed = _File(path, checksum=hashlib.sha256(path.read_bytes()).hexdigest())
    assert not isinstance(_decode(hashed, 32), str)
    path.write_bytes(jpeg((200, 10, 10), (64, 48), quality=90))
    assert _decode(hashed, 32) == "reject:changed while it was being imported"


def test_copies_share_the_first_file_fate_across_workers(
    redis_url: str, catalogue: Catalogue, tmp_path: Path
) -> None:
    good = [jpeg((i * 20, 100, 50), (64, 48), quality=90) for i in range(10)]
    broken = good[0][: len(good[0]) // 2]
    names = []
    for i, data in enumerate([*good, broken, good[3], broken]):
        names.append(tmp_path / f"{i:02d}.jpg")
        names[-1].write_bytes(data)
    report = import_files(connect_single(redis_url), [tmp_path], "cam", 0, 32, catalogue,
                          progress=False)
    assert report.imported == names[:10]
    assert report.skipped == [names[11]]
    assert [path for path, _ in report.rejected] == [names[10], names[12]]
    assert report.rejected[0][1] == report.rejected[1][1]


def test_a_write_redis_refuses_stops_the_run(
    embedded_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    r = connect_single(embedded_redis().url)
    catalogue = Catalogue(prefix="refused:image:", index="refused:idx:images")
    index.apply(r, catalogue)
    for i in range(20):
        (tmp_path / f"{i:02d}.jpg").write_bytes(jpeg((i * 10, 80, 160), (64, 48), quality=90))
    r.config_set("maxmemory", 1)  # noeviction: every write is refused, searches still run
    assert already_imported(r, ["0" * 64], catalogue) == set()
    with pytest.raises(redis.ResponseError, match=r"HSET .*maxmemory"):
        import_files(r, [tmp_path], "cam", 0, 32, catalogue, progress=False)


def test_an_import_whose_connection_was_replaced_is_not_reported_durable(
    redis_url: str, catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WAITAOF on a new connection covers none of the writes made on the old one."""
    for i in range(20):
        (tmp_path / f"{i:02d}.jpg").write_bytes(jpeg((i * 10, 90, 30), (64, 48), quality=90))
    r = connect_single(redis_url)
    killer = redis.Redis.from_url(redis_url)

    def save_then_drop_the_connection(client: redis.Redis, *args: object) -> None:
        save_many(client, *args)
        killer.client_kill_filter(_id=client.client_id())

    monkeypatch.setattr(importer, "save_many", save_then_drop_the_connection)
    with pytest.raises(NotDurable, match="re-established"):
        import_files(r, [tmp_path], "cam", 0, 32, catalogue, progress=False)
