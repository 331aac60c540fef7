"""`picat web` and its settings: the secret key file, host and port from the environment."""

from __future__ import annotations

import stat

import pytest

from picat.cli import build_parser
from picat.webapp.settings import load_web_settings, secret_key


def test_secret_key_is_made_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("PICAT_SECRET_KEY", raising=False)
    first = secret_key(tmp_path / "data")
    path = tmp_path / "data" / "secret_key"
    assert len(first) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(tmp_path / "data") == first
    monkeypatch.setenv("PICAT_SECRET_KEY", "from-the-environment")
    assert secret_key(tmp_path / "data") == b"from-the-environment"
    monkeypatch.delenv("PICAT_SECRET_KEY")
    path.write_bytes(b"")
    with pytest.raises(SystemExit, match="is empty"):
        secret_key(tmp_path / "data")


def test_host_and_port_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PICAT_WEB_HOST", "0.0.0.0")
    monkeypatch.setenv("PICAT_WEB_PORT", "8123")
    settings = load_web_settings(tmp_path)
    assert (settings.host, settings.port) == ("0.0.0.0", 8123)
    monkeypatch.setenv("PICAT_WEB_PORT", "eighty")
    with pytest.raises(SystemExit, match="PICAT_WEB_PORT must be a whole number"):
        load_web_settings(tmp_path)


def test_picat_web_is_registered():
    args = build_parser().parse_args(["web", "--host", "0.0.0.0", "--port", "9000"])
    assert (args.host, args.port) == ("0.0.0.0", 9000)
    assert callable(args.func)
