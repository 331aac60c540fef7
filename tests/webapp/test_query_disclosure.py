"""The query shown under the filters runs in `redis-cli` and returns the page's pictures."""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess

import pytest

from picat.schema import Catalogue


def _shown_commands(page: str) -> list[str]:
    block = re.search(r'<pre id="query-commands">(.*?)</pre>', page, re.S).group(1)
    return [html_lib.unescape(code) for code in re.findall(r"<code>(.*?)</code>", block, re.S)]


def test_pasting_the_shown_query_into_redis_cli_returns_the_same_pictures(
    client, add_picture, redis_url: str, catalogue: Catalogue
):
    redis_cli = shutil.which("redis-cli")
    if redis_cli is None:
        pytest.skip("redis-cli is not installed (Debian package redis-tools)")
    for i in range(12):
        add_picture(i * 3600, lux=float(i * 50), camera="feeder" if i % 3 else "garden")
    page = client.get("/?lux_min=100&camera=feeder&sort=brightest&limit=4").get_data(as_text=True)
    shown = re.findall(r'id="card-([0-9A-Z]+)"', page)
    assert len(shown) == 4
    returned: list[str] = []
    for command in _shown_commands(page):
        out = subprocess.run(
            [redis_cli, "-u", redis_url], input=command + "\n", capture_output=True, text=True,
            timeout=10, check=True,
        ).stdout
        returned += [
            line.removeprefix(catalogue.prefix)
            for line in out.splitlines()
            if line.startswith(catalogue.prefix)
        ]
    assert list(dict.fromkeys(returned))[: len(shown)] == shown
