"""Cursors are opaque and tamper-evident, and only open the view they were made for."""

from __future__ import annotations

import base64
import json

import pytest

from picat.schema.query import Filters, QueryError, Sort
from picat.schema.query.cursor import CursorState, Position, decode, encode

SECRET = b"s3cret"
VIEW = (Filters(camera="garden"), Sort.NEWEST)
STATE = CursorState(Position(0, (1736091456.413,), "01JGVHTMWX11EAG5VHQ6XPYGNN"), {"0.0": 90.5})


def rejected(token: str, filters: Filters = VIEW[0], sort: Sort = VIEW[1]) -> QueryError:
    with pytest.raises(QueryError) as caught:
        decode(token, filters, sort, SECRET)
    assert caught.value.field == "cursor"
    return caught.value


def test_round_trip_is_url_safe() -> None:
    token = encode(STATE, *VIEW, SECRET)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert decode(token, *VIEW, SECRET) == STATE


def test_forged_payload_is_rejected() -> None:
    body, tag = encode(STATE, *VIEW, SECRET).split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["v"] = [0]
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    rejected(f"{forged}.{tag}")


def test_another_spelling_of_the_same_bytes_is_rejected() -> None:
    body, tag = encode(STATE, *VIEW, SECRET).split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    spare = {
        char for char in alphabet
        if char != tag[-1] and base64.urlsafe_b64decode(tag[:-1] + char + "=" * (-len(tag) % 4))
        == base64.urlsafe_b64decode(tag + "=" * (-len(tag) % 4))
    }
    assert spare, "the MAC's last character should have spare bits"
    for char in spare:
        rejected(f"{body}.{tag[:-1]}{char}")


def test_cursor_of_another_view_or_secret_is_rejected() -> None:
    token = encode(STATE, *VIEW, SECRET)
    rejected(token, filters=Filters(camera="door"))
    rejected(token, sort=Sort.OLDEST)
    with pytest.raises(QueryError):
        decode(token, *VIEW, b"another secret")


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "!!!.???", "x" * 5000, "e30.AAAA"])
def test_garbage_is_rejected(token: str) -> None:
    rejected(token)
