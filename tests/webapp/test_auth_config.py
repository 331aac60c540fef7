"""When the gallery may run without a password, `picat passwd`, and the hash format."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from picat.cli import main
from picat.passwords import hash_password, parse_hash, verify_password
from picat.webapp.auth_settings import AuthSettings, is_loopback, load_auth_settings

from .credentials import PASSWORD, TOKEN

AUTH_VARS = (
    "PICAT_WEB_PASSWORD_HASH", "PICAT_WEB_READONLY_PASSWORD_HASH", "PICAT_API_TOKEN",
    "PICAT_TRUST_PROXY",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in AUTH_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PICAT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")  # never reached
    monkeypatch.chdir(tmp_path)


def test_loopback_needs_no_password_any_other_address_does(monkeypatch, capsys):
    for host in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"):
        assert is_loopback(host) and load_auth_settings(host).auth is None
    for host in ("0.0.0.0", "::", "192.168.1.20", "", "pi.local"):
        assert not is_loopback(host)
        with pytest.raises(SystemExit, match="refusing to serve"):
            load_auth_settings(host)
    assert load_auth_settings("0.0.0.0", no_auth=True).auth is None
    assert "WARNING: --no-auth on 0.0.0.0" in capsys.readouterr().err

    monkeypatch.setenv("PICAT_WEB_PASSWORD_HASH", hash_password(PASSWORD))
    monkeypatch.setenv("PICAT_API_TOKEN", TOKEN)
    monkeypatch.setenv("PICAT_TRUST_PROXY", "1")
    settings = load_auth_settings("0.0.0.0")
    assert settings.auth is not None and settings.auth.api_token == TOKEN
    assert settings.trust_proxy == 1
    assert load_auth_settings("127.0.0.1").auth is not None  # a password is always used


def test_a_trusted_proxy_needs_a_password_or_no_auth(monkeypatch):
    monkeypatch.setenv("PICAT_TRUST_PROXY", "1")
    with pytest.raises(SystemExit, match=r"refusing to serve behind a proxy \(PICAT_TRUST_PROXY"):
        load_auth_settings("127.0.0.1")
    assert load_auth_settings("127.0.0.1", no_auth=True) == AuthSettings(None, 1)
    monkeypatch.setenv("PICAT_WEB_PASSWORD_HASH", hash_password(PASSWORD))
    assert load_auth_settings("127.0.0.1").auth is not None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PICAT_WEB_PASSWORD_HASH", "hunter2", "not a password hash"),
        ("PICAT_WEB_PASSWORD_HASH", "scrypt:3:8:1:c2FsdHNhbHQ:a2V5a2V5a2V5a2V5a2V5", "impossible"),
        ("PICAT_WEB_READONLY_PASSWORD_HASH", "scrypt:16384:8:1:!!:??", "damaged"),
        ("PICAT_API_TOKEN", "short", "at least 16"),
        ("PICAT_TRUST_PROXY", "yes", "number of proxies"),
    ],
)
def test_bad_settings_are_clear_errors(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit, match=message):
        load_auth_settings("127.0.0.1")


def test_picat_web_and_up_refuse_a_public_address_without_a_password():
    for command in (["web", "--host", "0.0.0.0"], ["up", "--host", "0.0.0.0", "--camera", "none"]):
        with pytest.raises(SystemExit, match=r"refusing to serve on 0\.0\.0\.0"):
            main(command)


def test_password_hashes_verify_and_carry_their_parameters():
    encoded = hash_password(PASSWORD)
    assert encoded.startswith("scrypt:16384:8:1:") and "$" not in encoded
    assert verify_password(PASSWORD, encoded)
    assert not verify_password(PASSWORD + " ", encoded)
    assert hash_password(PASSWORD) != encoded  # salted
    assert parse_hash(encoded)[0] == 16384
    with pytest.raises(ValueError):
        hash_password("short")


def test_picat_passwd_reads_stdin_and_prints_a_hash(tmp_path):
    env = {**os.environ, "PICAT_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "picat.cli", "passwd"], input=PASSWORD + "\n",
        capture_output=True, text=True, env=env, timeout=30, check=True,
    )
    assert verify_password(PASSWORD, done.stdout.strip())
    token = subprocess.run(
        [sys.executable, "-m", "picat.cli", "passwd", "--token"],
        capture_output=True, text=True, env=env, timeout=30, check=True,
    ).stdout.strip()
    assert len(token) >= 40
