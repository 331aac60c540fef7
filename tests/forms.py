"""What a browser does with the gallery's forms, for tests on a Flask test client."""

from __future__ import annotations

import re

import flask


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in `html` (every form of a page carries the same)."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(client: flask.testing.FlaskClient, password: str) -> flask.Response:
    """Log in through the form, as a browser would (CSRF token from the login page)."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "password": password})
