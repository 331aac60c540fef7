"""`picat passwd`: print the hash of a password (or a new API token) for the environment.

The password is read from the terminal without echo (asked twice), or from the
first line of standard input when that is not a terminal, so it never appears in
the shell history or the process list.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys

from picat.passwords import hash_password
from picat.settings import Settings


def read_password() -> str:
    """The new password, from the terminal (twice) or from stdin's first line."""
    if sys.stdin.isatty():
        first = getpass.getpass("New gallery password: ")
        if getpass.getpass("The same again: ") != first:
            raise SystemExit("picat passwd: the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.token:
        print(secrets.token_urlsafe(32))
        return 0
    try:
        print(hash_password(read_password()))
    except ValueError as exc:
        print(f"picat passwd: {exc}", file=sys.stderr)
        return 2
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `picat passwd`."""
    passwd = sub.add_parser(
        "passwd",
        help="print a password hash for PICAT_WEB_PASSWORD_HASH (or a token, --token)",
    )
    passwd.add_argument(
        "--token", action="store_true", help="print a new random PICAT_API_TOKEN instead"
    )
    passwd.set_defaults(func=run)
