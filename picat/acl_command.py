"""`picat acl`: print each role's `ACL SETUSER` and REDIS_URL, or `--apply` them to the server."""

from __future__ import annotations

import argparse
import sys

import redis

from picat.acl import (
    ROLE_NAMES,
    ROLES,
    Credential,
    choose_credential,
    existing_hashes,
    persist,
    role_url,
    setuser_command,
)
from picat.schema import connect
from picat.schema.index import render_command
from picat.settings import Settings


def _url_line(credential: Credential, base_url: str) -> str:
    role = credential.role
    if credential.origin == "kept":
        return f"  {role.name:8} {role.user}: password unchanged"
    if credential.origin == "environment":
        url = role_url(base_url, role, "PASSWORD")
        return f"  {role.name:8} REDIS_URL={url} (PASSWORD = ${role.password_variable})"
    url = role_url(base_url, role, credential.password or "")
    return f"  {role.name:8} REDIS_URL={url}"


_NOT_ROOT = (
    "--apply needs REDIS_URL to name the default user or another user allowed to run "
    "ACL GETUSER and ACL SETUSER"
)


def _apply(r: redis.Redis, commands: list[list[str]]) -> int:
    try:
        for command in commands:
            r.execute_command(*command)
        print(f"picat acl: applied {len(commands)} users; {persist(r)}", file=sys.stderr)
    except redis.exceptions.NoPermissionError as exc:
        print(f"picat acl: {exc}: {_NOT_ROOT}", file=sys.stderr)
        return 1
    except redis.ResponseError as exc:
        hint = " (load the search module first)" if "unknown command" in str(exc).lower() else ""
        print(f"picat acl: Redis refused the users: {exc}{hint}", file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print the ACL SETUSER commands (stdout) and each role's REDIS_URL (stderr)."""
    selected = [role for role in ROLES if not args.role or role.name in args.role]
    url = settings.effective_redis_url
    r = connect(url) if args.apply else None
    try:
        credentials = [
            choose_credential(role, existing_hashes(r, role) if r else None, args.rotate)
            for role in selected
        ]
    except redis.exceptions.NoPermissionError as exc:
        print(f"picat acl: {exc}: {_NOT_ROOT}", file=sys.stderr)
        return 1
    commands = [setuser_command(c.role, c.hashes) for c in credentials]
    for command in commands:
        print(render_command(command))
    # Shown before applying, so a failure half-way never loses a password already set.
    print(
        "picat acl: passwords appear above only as SHA-256 (#...), so the commands are safe "
        "to keep; the REDIS_URL of each component (new passwords are shown only now):",
        file=sys.stderr,
    )
    for credential in credentials:
        print(_url_line(credential, url), file=sys.stderr)
    return _apply(r, commands) if r is not None else 0


def register(sub: argparse._SubParsersAction) -> None:
    acl = sub.add_parser(
        "acl",
        help="print (or --apply) least-privilege Redis users for capture, web and admin",
        description="Print ACL SETUSER commands for the roles capture, web and admin. "
        "Passwords come from PICAT_ACL_<ROLE>_PASSWORD; unset, --apply keeps an existing "
        "user's password and generates one for a new user.",
        epilog="roles:\n" + "\n".join(f"  {role.name:8} {role.purpose}" for role in ROLES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    acl.add_argument(
        "--apply",
        action="store_true",
        help="run the commands against REDIS_URL (the default user or another ACL admin)",
    )
    acl.add_argument(
        "--role", action="append", choices=ROLE_NAMES, help="only this role (repeatable)"
    )
    acl.add_argument(
        "--rotate",
        action="store_true",
        help="new random passwords even for existing users (unless set in the environment)",
    )
    acl.set_defaults(func=run)
