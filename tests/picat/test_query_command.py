"""`picat query`: the README's redis-cli examples without redis-cli, shown as redis-cli would."""

from __future__ import annotations

import html
import re
import shlex
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest

from picat.cli import main
from picat.embedded import free_port
from picat.query_command import command_words, describe_binary, render

from ..factories import jpeg


def _cards(html: str) -> list[str]:
    return re.findall(r'id="card-([0-9A-Z]+)"', html)


def _query(capsys, *words: str) -> tuple[int, str]:
    code = main(["query", *words])
    return code, capsys.readouterr().out


@pytest.fixture
def configured(monkeypatch, redis_url):
    monkeypatch.setenv("REDIS_URL", redis_url)


def test_the_readme_query_reproduces_the_first_page_of_the_gallery(
    configured, client, add_picture, catalogue, capsys
):
    for i in range(30):
        add_picture(i * 60, lux=float(i), camera="garden" if i % 3 else "feeder")
    page = client.get("/").get_data(as_text=True)
    shown = _cards(page)
    assert len(shown) == 24
    # The disclosure's "this view as one command", and the README's first example on
    # this test's index instead of idx:images.
    disclosed = html.unescape(re.search(r'id="query-view"><code>(.*?)</code>', page).group(1))
    readme = (
        f"FT.SEARCH {catalogue.index} '*' SORTBY timestamp DESC LIMIT 0 24 "
        "RETURN 3 timestamp lux camera"
    )
    for command in (disclosed, readme):
        code, out = _query(capsys, command)
        assert code == 0, out
        assert out.splitlines()[0] == " 1) (integer) 30"
        keys = re.findall(rf'^\s*\d+\) "{re.escape(catalogue.prefix)}([0-9A-Z]+)"$', out, re.M)
        assert keys == shown, command
    assert '1) "timestamp"' in out and '"camera"' in out and '"feeder"' in out


def test_binary_fields_are_summarised_and_errors_say_so(
    configured, add_picture, catalogue, capsys
):
    picture = add_picture(0, data=jpeg(size=(320, 240)))
    code, out = _query(capsys, "HGETALL", catalogue.prefix + picture.pk)  # word by word
    assert code == 0
    assert re.search(r'"image_data"\n\s*\d+\) <JPEG, [\d,]+ bytes>', out)
    assert "\\xff" not in out and "\ufffd" not in out
    code, out = _query(capsys, "FT.SEARCH no-such-index '*'")
    assert code == 1 and out.startswith("(error) ")


def test_the_reply_is_laid_out_as_redis_cli_lays_it_out():
    assert list(render([3, [b"a", [b"b", None]], b""])) == [
        "1) (integer) 3",
        '2) 1) "a"',
        "   2) 1) \"b\"",
        "      2) (nil)",
        '3) ""',
    ]
    assert list(render([])) == ["(empty array)"]
    assert describe_binary(b"\x89PNG\r\n\x1a\n...") == "<PNG, 11 bytes>"
    assert command_words(["FT.SEARCH idx:images '@camera:{garden}' LIMIT 0 1"]) == [
        "FT.SEARCH", "idx:images", "@camera:{garden}", "LIMIT", "0", "1"
    ]


@pytest.mark.skipif(not shutil.which("redis-cli"), reason="needs Debian's redis-tools")
def test_same_lines_as_redis_cli(configured, redis_url, add_picture, catalogue, capsys):
    for i in range(3):
        add_picture(i * 60, lux=float(i))
    target = urlsplit(redis_url)
    for command in (
        f"FT.SEARCH {catalogue.index} '*' SORTBY timestamp DESC LIMIT 0 2 RETURN 2 timestamp lux",
        f"FT.AGGREGATE {catalogue.index} '*' GROUPBY 1 @camera REDUCE COUNT 0 AS pictures",
    ):
        cli = subprocess.run(
            ["redis-cli", "--no-raw", "-h", target.hostname, "-p", str(target.port),
             *shlex.split(command)],
            capture_output=True, text=True, check=True,
        )
        assert _query(capsys, command) == (0, cli.stdout)


def test_an_unreachable_redis_is_said_like_picat_import_says_it(monkeypatch, capsys):
    port = free_port()
    for command in (["query", "PING"], ["import", "."]):
        monkeypatch.setenv("REDIS_URL", f"redis://picat-web:s3cret-pw@127.0.0.1:{port}/0")
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.startswith(
            f"picat {command[0]}: cannot reach Redis at redis://picat-web:***@127.0.0.1:{port}/0 ("
        ), err
        assert "s3cret-pw" not in err
