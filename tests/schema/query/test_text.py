"""Query text: numbers formatted by us, user strings escaped, windows across midnight."""

from __future__ import annotations

from picat.schema.query import Filters
from picat.schema.query.ranges import format_number
from picat.schema.query.text import Constraints, escape_tag


def test_numbers_never_use_exponents_and_round_trip() -> None:
    for value in (1e-05, 1e20, 1736091456.413, 0.1, -2.5, 3.0):
        text = format_number(value)
        assert "e" not in text.lower() and float(text) == value
    assert format_number(float("inf")) == "+inf" and format_number(-0.0) == "0"


def test_tags_are_escaped() -> None:
    assert escape_tag("cam-1.b_2") == r"cam\-1\.b_2"
    assert escape_tag("a b|c}") == r"a\ b\|c\}"


def test_filters_become_one_clause_each() -> None:
    text = Constraints.from_filters(
        Filters(start=10, end=20.5, lux_min=1, camera="cam-a", tod_from=79200, tod_to=7200)
    ).text()
    assert text == (
        r"@lux:[1 +inf] @timestamp:[10 20.5] @camera:{cam\-a} "
        "(@time_of_day:[79200 +inf] | @time_of_day:[-inf (7200])"
    )
    assert Constraints.from_filters(Filters()).text() == "*"
    assert Constraints.from_filters(Filters(tod_to=3600)).text() == "@time_of_day:[0 (3600]"
