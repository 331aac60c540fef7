"""Password hashes for the gallery's login: salted scrypt in one self-describing string.

The string (`scrypt:<n>:<r>:<p>:<salt>:<key>`, base64url) carries its own cost
parameters, so a hash made today still verifies after the defaults are raised. It
has no `$`, so it can sit unquoted in a shell `export` or a `.env` file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
# 16 MiB of memory and a few tens of milliseconds per guess on a Pi 4.
COST_N, BLOCK_R, PARALLEL_P = 2**14, 8, 1
KEY_BYTES = 32
SALT_BYTES = 16
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_MAX_N = 2**20


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _derive(password: str, salt: bytes, n: int, r: int, p: int, dklen: int = KEY_BYTES) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, dklen=dklen,
        maxmem=256 * n * r * p,
    )


def hash_password(password: str) -> str:
    """A new salted hash of `password`, for `PICAT_WEB_PASSWORD_HASH`."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValueError(
            f"a password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, COST_N, BLOCK_R, PARALLEL_P)
    return f"{SCHEME}:{COST_N}:{BLOCK_R}:{PARALLEL_P}:{_b64(salt)}:{_b64(key)}"


def parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    """(n, r, p, salt, key), or ValueError saying what is wrong with the string."""
    parts = encoded.strip().split(":")
    if len(parts) != 6 or parts[0] != SCHEME:
        raise ValueError("not a password hash made by `picat passwd` (scrypt:n:r:p:salt:key)")
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except (ValueError, binascii.Error):
        raise ValueError("the password hash is damaged (bad number or base64)") from None
    if not (1 < n <= _MAX_N and n & (n - 1) == 0 and 0 < r <= 32 and 0 < p <= 16):
        raise ValueError("the password hash has impossible scrypt parameters")
    if len(salt) < 8 or len(key) < 16:
        raise ValueError("the password hash is too short (salt or key)")
    return n, r, p, salt, key


def verify_password(password: str, encoded: str) -> bool:
    """Whether `password` matches `encoded`; the comparison takes constant time."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    n, r, p, salt, key = parse_hash(encoded)
    return hmac.compare_digest(_derive(password, salt, n, r, p, len(key)), key)
