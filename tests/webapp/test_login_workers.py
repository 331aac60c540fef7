"""Two gallery processes on one Redis: login failures and logouts hold across both.

A fleet runs several workers; the throttle used to be a deque per process (three
workers, three times the guesses) and logout only cleared the cookie (a copy kept
working for 14 days). Each gallery here is its own Python process serving over HTTP
with waitress, as `picat web` does.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from picat.embedded import free_port
from picat.passwords import hash_password
from picat.schema import Catalogue
from picat.webapp.throttle import MAX_FAILURES

from ..forms import csrf_from
from .credentials import PASSWORD, READONLY_PASSWORD

SERVE = """
import os, sys
from picat.schema import Catalogue
from picat.webapp import create_app
from picat.webapp.auth import Auth
from picat.webapp.server import make_server
catalogue = Catalogue(prefix=os.environ["T_PREFIX"], index=os.environ["T_INDEX"])
auth = Auth(os.environ["T_HASH"], os.environ["T_RO_HASH"])
app = create_app(os.environ["T_REDIS"], catalogue=catalogue, secret_key=b"shared-secret",
                 auth_settings=auth)
make_server(app, "127.0.0.1", int(os.environ["T_PORT"])).run()
"""


class Browser:
    """One cookie, spoken over HTTP to any of the galleries."""

    def __init__(self) -> None:
        self.cookie = ""

    def request(self, port: int, method: str, path: str, form: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        headers = {"Cookie": f"picat_session={self.cookie}"} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("picat_session="):
                self.cookie = value.split(";")[0].split("=", 1)[1]
        connection.close()
        return response.status, text

    def csrf(self, port: int, path: str = "/login") -> str:
        return csrf_from(self.request(port, "GET", path)[1])

    def log_in(self, port: int, password: str) -> int:
        token = self.csrf(port)
        return self.request(port, "POST", "/login", {"csrf_token": token, "password": password})[0]


@pytest.fixture
def galleries(redis_url: str, catalogue: Catalogue) -> Iterator[list[int]]:
    ports = [free_port(), free_port()]
    env = {
        **os.environ, "T_PREFIX": catalogue.prefix, "T_INDEX": catalogue.index,
        "T_HASH": hash_password(PASSWORD), "T_RO_HASH": hash_password(READONLY_PASSWORD),
        "T_REDIS": redis_url,
    }
    processes = [
        subprocess.Popen([sys.executable, "-c", SERVE], env={**env, "T_PORT": str(port)},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for port in ports
    ]
    try:
        for port in ports:
            deadline = time.monotonic() + 30
            while True:
                try:
                    Browser().request(port, "GET", "/healthz")
                    break
                except OSError:
                    assert time.monotonic() < deadline, "gallery did not start"
                    time.sleep(0.1)
        yield ports
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def test_failures_are_counted_across_processes(galleries):
    first, second = galleries
    guesser = Browser()
    statuses = [
        guesser.request(galleries[i % 2], "POST", "/login",
                        {"csrf_token": guesser.csrf(galleries[i % 2]), "password": f"guess {i}"})[0]
        for i in range(3 * MAX_FAILURES)
    ]
    assert statuses == [401] * MAX_FAILURES + [429] * (2 * MAX_FAILURES)
    assert Browser().log_in(second, PASSWORD) == 429  # same address, either process
    assert first != second


def test_logout_in_one_process_ends_the_session_in_both(galleries):
    first, second = galleries
    curator = Browser()
    assert curator.log_in(first, PASSWORD) == 303
    assert curator.request(second, "GET", "/")[0] == 200
    copy = Browser()
    copy.cookie = curator.cookie  # a cookie copied while the session was open
    assert copy.request(first, "GET", "/")[0] == 200
    token = curator.csrf(second, "/")
    assert curator.request(second, "POST", "/logout", {"csrf_token": token})[0] == 303
    for port in galleries:
        assert copy.request(port, "GET", "/")[0] == 303  # to the login page
