"""Credentials and helpers shared by the hardening tests."""

from __future__ import annotations

import re

import flask

PASSWORD = "correct horse battery"
READONLY_PASSWORD = "shared screen only"
TOKEN = "t0ken-for-scripts-0123456789abcdef"


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(client: flask.testing.FlaskClient, password: str) -> flask.Response:
    """Log in through the form, as a browser would (CSRF token from the login page)."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "password": password})
