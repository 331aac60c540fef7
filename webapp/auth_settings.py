"""Authentication settings from the environment, and the rule for when none is allowed.

The gallery may run without a password only when it listens on the loopback
interface and trusts no proxy (nobody else can reach it); on any other address,
or behind a proxy (`PICAT_TRUST_PROXY`), `picat web` and `picat up` refuse to start
without `PICAT_WEB_PASSWORD_HASH` (or the read-only one), unless the operator says
`--no-auth`.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from picat.passwords import parse_hash

from .auth import Auth, is_loopback

__all__ = ["AuthSettings", "is_loopback", "load_auth_settings"]

MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class AuthSettings:
    auth: Auth | None
    trust_proxy: int


def _env(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


def _checked_hash(name: str) -> str | None:
    value = _env(name)
    if value is not None:
        try:
            parse_hash(value)
        except ValueError as exc:
            raise SystemExit(f"{name}: {exc}") from None
    return value


def _trust_proxy() -> int:
    raw = _env("PICAT_TRUST_PROXY") or "0"
    if not raw.isdigit() or int(raw) > 10:
        raise SystemExit(f"PICAT_TRUST_PROXY must be the number of proxies (0 to 10), got {raw!r}")
    return int(raw)


def load_auth_settings(
    host: str, *, no_auth: bool = False, command: str = "picat web"
) -> AuthSettings:
    """The gallery's credentials, or SystemExit when serving `host` without them is unsafe."""
    trust_proxy = _trust_proxy()
    password = _checked_hash("PICAT_WEB_PASSWORD_HASH")
    readonly = _checked_hash("PICAT_WEB_READONLY_PASSWORD_HASH")
    token = _env("PICAT_API_TOKEN")
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise SystemExit(
            f"PICAT_API_TOKEN must have at least {MIN_TOKEN_LENGTH} characters "
            "(`picat passwd --token` makes one)"
        )
    if no_auth:
        if not is_loopback(host):
            print(
                f"{command}: WARNING: --no-auth on {host}: anyone who can reach this address "
                "can see and delete every picture", file=sys.stderr,
            )
        return AuthSettings(None, trust_proxy)
    if password or readonly:
        return AuthSettings(Auth(password, readonly, token), trust_proxy)
    if trust_proxy > 0:
        # Behind a proxy every remote client arrives from loopback: it no longer means "only me".
        raise SystemExit(
            f"{command}: refusing to serve behind a proxy (PICAT_TRUST_PROXY={trust_proxy}) "
            "without a password: everyone the proxy lets in could see and delete every "
            "picture. Set PICAT_WEB_PASSWORD_HASH (make one with `picat passwd`), or pass "
            "--no-auth if the proxy already checks who comes in."
        )
    if is_loopback(host):
        return AuthSettings(None, trust_proxy)
    raise SystemExit(
        f"{command}: refusing to serve on {host} without a password. Set "
        "PICAT_WEB_PASSWORD_HASH (make one with `picat passwd`), or pass --no-auth "
        "if something in front of the gallery already checks who comes in."
    )
