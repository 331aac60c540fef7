"""Image ids: unique, time-ordered, URL-safe, and checked before any key is built."""

from __future__ import annotations

import threading

import pytest

from picat.schema import Catalogue, InvalidImageId, id_timestamp, new_image_id, validate_image_id
from picat.schema.ids import IdGenerator


def test_ids_are_url_safe_and_carry_their_time() -> None:
    image_id = new_image_id(1_700_000_000.123)
    assert len(image_id) == 26 and image_id.isalnum() and image_id.isupper()
    assert id_timestamp(image_id) == pytest.approx(1_700_000_000.123, abs=0.001)


def test_ids_sort_in_capture_order() -> None:
    ids = [new_image_id(t) for t in (1.0, 2.5, 2.5, 2.5, 1_000_000.0, 2_000_000_000.0)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_a_burst_from_many_threads_never_collides() -> None:
    generator = IdGenerator()
    found: list[str] = []

    def burst() -> None:
        found.extend(generator.new(1_700_000_000.0) for _ in range(1000))

    threads = [threading.Thread(target=burst) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 4000


def test_two_cameras_in_the_same_millisecond_do_not_collide() -> None:
    cameras = [IdGenerator(), IdGenerator()]
    ids = {camera.new(1_700_000_000.0) for _ in range(500) for camera in cameras}
    assert len(ids) == 1000


def test_seed_ids_are_accepted() -> None:
    assert validate_image_id("1681843615") == "1681843615"
    assert id_timestamp("1681843615") == 1681843615.0


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "*",
        "abc",
        "1681843615:x",
        "../1681843615",
        "image:1",
        "1681843615 ",
        " 1",
        "01ARZ3NDEKTSV4RRFFQ69G5FA",
        "01ARZ3NDEKTSV4RRFFQ69G5FAVV",
        "01arz3ndektsv4rrffq69g5fav",
        "01ARZ3NDEKTSV4RRFFQ69G5FAI",
        "81ARZ3NDEKTSV4RRFFQ69G5FAV",
        "1234567890123",
        "1] | @camera:{x}",
        "\u0661\u0662\u0663",
        "01ARZ3NDEKTSV4RRFFQ69G5FA\n",
    ],
)
def test_bad_ids_are_rejected_before_a_key_is_built(bad: str) -> None:
    with pytest.raises(InvalidImageId):
        validate_image_id(bad)
    with pytest.raises(InvalidImageId):
        Catalogue().key(bad)


def test_keys_follow_the_contract() -> None:
    image_id = new_image_id()
    assert Catalogue().key(image_id) == f"image:{image_id}"
    assert Catalogue().id_from_key(f"image:{image_id}".encode()) == image_id
    with pytest.raises(ValueError):
        Catalogue().id_from_key(f"other:{image_id}")
