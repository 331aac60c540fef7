"""Restarting at any size: `picat up` waits while Redis loads its data, the gallery says
how far it is, capture spools meanwhile, and a server that never comes up is named."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis

from picat import embedded
from picat.embedded import free_port, port_is_free
from picat.schema import loading

from ..running import start_picat_up, stop, wait_for

PICTURES = 300_000
"""About 55 MB of append-only file: 2 to 4 s of loading on the development machine."""
ROOT = Path(__file__).resolve().parents[2]


def make_data_dir(data_dir: Path, pictures: int, port: int) -> None:
    """`bench.loading`'s data directory (the same script makes the 30-second one)."""
    subprocess.run(
        [sys.executable, "-m", "bench.loading", "--make-only", "--pictures", str(pictures),
         "--dir", str(data_dir), "--redis-port", str(port)],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return 0, ""


@pytest.mark.slow
def test_picat_up_waits_while_redis_loads_and_the_gallery_says_how_far(tmp_path: Path) -> None:
    redis_port, web_port = free_port(), free_port()
    make_data_dir(tmp_path, PICTURES, redis_port)
    proc = start_picat_up(
        tmp_path, redis_port, web_port, CAPTURE_INTERVAL="0.3", CAMERA_ID="while-loading"
    )
    base = f"http://127.0.0.1:{web_port}"
    loading_pages: list[str] = []
    health_replies: list[tuple[int, str]] = []
    try:
        deadline = time.monotonic() + 120
        status = 0
        while time.monotonic() < deadline:
            status, body = _get(base + "/")
            if status == 503:
                loading_pages.append(body)
                health_replies.append(_get(base + "/healthz"))
            if status == 200:
                break
            time.sleep(0.05)
        assert status == 200, "the gallery never served a page"
        assert loading_pages, "the gallery was never seen answering while Redis loaded"
        assert any("Redis is loading its data (" in page and " %)" in page
                   for page in loading_pages), loading_pages[-1][:2000]
        assert any(
            code == 503 and json.loads(reply)["redis"] == "loading"
            for code, reply in health_replies
        ), health_replies
        status, body = _get(base + "/api/images?camera=loading&limit=3")
        assert status == 200 and len(json.loads(body)["images"]) == 3
        r = redis.Redis(port=redis_port, protocol=2)
        assert r.dbsize() >= PICTURES
        # Pictures taken while Redis loaded waited in the spool, then went in.
        wait_for(
            lambda: r.execute_command(
                "FT.SEARCH", "idx:images", "@camera:{while\\-loading}", "LIMIT", "0", "0"
            )[0],
            30, "no picture captured during loading arrived",
        )
        output = stop(proc)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert "Redis is loading its data: " in output and "MB)" in output, output
    assert "Redis loaded its data in" in output
    assert "Traceback" not in output
    assert port_is_free(redis_port) and port_is_free(web_port)


def test_a_server_that_exits_while_starting_is_named_with_its_log(tmp_path: Path) -> None:
    data_dir = tmp_path / "redis"
    (data_dir / "appendonlydir").mkdir(parents=True)
    (data_dir / "appendonlydir" / "appendonly.aof.manifest").write_text("not a manifest\n")
    server = embedded.EmbeddedRedis(free_port(), data_dir, str(tmp_path / "redis.log"))
    with pytest.raises(embedded.EmbeddedRedisError) as failed:
        server.start()
    message = str(failed.value)
    assert "redis-server exited with status 1 at start-up" in message
    assert f"the end of its log ({tmp_path / 'redis.log'})" in message
    assert "manifest" in message.lower()


def test_a_server_that_neither_answers_nor_loads_is_stopped_with_a_clear_message(
    tmp_path: Path,
) -> None:
    server = embedded.EmbeddedRedis(free_port(), tmp_path / "redis", str(tmp_path / "redis.log"))
    server.launch()
    server.process.send_signal(signal.SIGSTOP)  # alive, but never answers
    # Lets it act on the SIGTERM it is sent when given up on (else `stop` waits 15 s).
    waking = threading.Timer(2.0, server.process.send_signal, (signal.SIGCONT,))
    waking.start()
    try:
        with pytest.raises(
            embedded.EmbeddedRedisError,
            match="neither answered nor loaded its data within 1 s, so it was stopped",
        ):
            server.wait_ready(stalled_after=1.0)
        assert server.process.poll() is not None
    finally:
        waking.cancel()
        server.process.send_signal(signal.SIGCONT)
        server.kill()


def test_progress_is_read_from_info_persistence() -> None:
    progress = loading.parse({
        "loading": 1, "loading_loaded_perc": "63.20", "loading_loaded_bytes": 75_800_000,
        "loading_total_bytes": 120_000_000, "loading_eta_seconds": 5,
    })
    assert progress is not None
    assert progress.describe() == "63 % (76 of 120 MB), about 5 s left"
    assert loading.parse({"loading": 0}) is None
    starting = loading.parse({"loading": 1, "loading_loaded_perc": 0, "loading_eta_seconds": 1,
                              "loading_total_bytes": 3_000_000_000})
    assert starting is not None and starting.describe() == "0 % (0 of 3,000 MB)"
