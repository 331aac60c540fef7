"""Cursors are readable positions (`<sort values>,<id>`), parsed strictly."""

from __future__ import annotations

import pytest

from picat.schema.query import QueryError, Sort
from picat.schema.query.paging import ORDERS, Position
from picat.schema.query.views import decode_cursor, encode_cursor

ULID = "01JGVHTMWX11EAG5VHQ6XPYGNN"


def rejected(text: str, sort: Sort = Sort.NEWEST) -> QueryError:
    with pytest.raises(QueryError) as caught:
        decode_cursor(text, ORDERS[sort])
    assert caught.value.field == "cursor"
    return caught.value


def test_positions_read_as_written_and_round_trip() -> None:
    cases = [
        (Sort.NEWEST, Position(0, (1736091456.413,), ULID), f"1736091456.413,{ULID}"),
        (Sort.OLDEST, Position(0, (1681843615.0,), "1681843615"), "1681843615,1681843615"),
        (Sort.BRIGHTEST, Position(0, (0.00001, 1736091456.5), ULID),
         f"0.00001,1736091456.5,{ULID}"),
        (Sort.DARKEST, Position(1, (1736091456.5,), ULID), f"none,1736091456.5,{ULID}"),
    ]
    for sort, position, text in cases:
        assert encode_cursor(position, ORDERS[sort]) == text
        assert decode_cursor(text, ORDERS[sort]) == position
    assert set(encode_cursor(cases[2][1], ORDERS[Sort.BRIGHTEST])) <= set(
        "0123456789.,-ABCDEFGHJKMNPQRSTVWXYZ"
    )


@pytest.mark.parametrize("text", [
    "", ",", "abc", f"1e9,{ULID}", f"1.50,{ULID}", f"01,{ULID}", f"-0,{ULID}", f"nan,{ULID}",
    f"inf,{ULID}", f" 1,{ULID}", "1,../etc", f"1,{ULID},", f"1,2,{ULID}", f"none,1,{ULID}",
    f"1,{ULID.lower()}", "1," + "9" * 13, "9" * 200 + f",{ULID}", f"1.{'0' * 30}1,{ULID}",
])
def test_malformed_or_non_canonical_cursors_are_rejected(text: str) -> None:
    assert "load the first page again" in rejected(text).message


def test_a_cursor_must_have_the_shape_of_its_order() -> None:
    rejected(f"5,1736091456.5,{ULID}", Sort.NEWEST)
    rejected(f"1736091456.5,{ULID}", Sort.BRIGHTEST)
    rejected(f"none,{ULID}", Sort.DARKEST)
    assert decode_cursor(f"1736091456.5,{ULID}", ORDERS[Sort.OLDEST]).values == (1736091456.5,)
