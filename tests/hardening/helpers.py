"""Credentials and helpers shared by the hardening tests."""

from __future__ import annotations

import io
import re

import flask
from PIL import Image as PILImage

PASSWORD = "correct horse battery"
READONLY_PASSWORD = "shared screen only"
TOKEN = "t0ken-for-scripts-0123456789abcdef"


def small_jpeg(size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, (90, 140, 200)).save(out, "JPEG", quality=70)
    return out.getvalue()


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(client: flask.testing.FlaskClient, password: str) -> flask.Response:
    """Log in through the form, as a browser would (CSRF token from the login page)."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "password": password})
