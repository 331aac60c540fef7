"""`picat up` on a fresh data directory: embedded Redis, index, capture, gallery, clean stop."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest
import redis

from picat.cli import main
from picat.embedded import free_port, port_is_free

from ..running import start_picat_up, stop


@pytest.mark.slow
@pytest.mark.parametrize("image_store", ["redis", "file"])
def test_picat_up_serves_the_gallery_over_a_real_index(tmp_path: Path, image_store: str) -> None:
    """Out of the box, and with `IMAGE_STORE=file:…` for a single machine."""
    redis_port, web_port = free_port(), free_port()
    originals = tmp_path / "originals"
    proc = start_picat_up(
        tmp_path, redis_port, web_port, CAPTURE_INTERVAL="0.5", CAMERA_ID="up-test",
        IMAGE_STORE="redis" if image_store == "redis" else f"file:{originals}",
    )
    try:
        r = redis.Redis(port=redis_port, protocol=2)
        deadline = time.monotonic() + 60
        total = 0
        while time.monotonic() < deadline and total < 2:
            time.sleep(0.5)
            try:
                total = r.execute_command("FT.SEARCH", "idx:images", "*", "LIMIT", "0", "0")[0]
            except (redis.ConnectionError, redis.ResponseError):
                continue
        assert total >= 2, "no captured picture reached the index"
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/", timeout=10) as page:
            html = page.read().decode()
        assert page.status == 200 and "FT.SEARCH" in html and "up-test" in html
        key = r.execute_command("FT.SEARCH", "idx:images", "*", "NOCONTENT", "LIMIT", "0", "1")[1]
        image_id = key.decode().removeprefix("image:")
        with urllib.request.urlopen(
            f"http://127.0.0.1:{web_port}/images/{image_id}/image", timeout=10
        ) as original:
            body = original.read()
        assert body.startswith(b"\xff\xd8")
        if image_store == "file":
            assert not r.hexists(key, "image_data")
            assert (originals / "image" / image_id).read_bytes() == body
        else:
            assert r.hget(key, "image_data") == body

        output = stop(proc)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert "Traceback" not in output
    assert port_is_free(redis_port) and port_is_free(web_port)
    assert (tmp_path / "redis" / "appendonlydir").is_dir()


@pytest.mark.slow
def test_picat_up_stops_with_an_error_when_capture_fails(tmp_path: Path) -> None:
    """A dead capture thread must not leave a gallery that looks healthy to systemd."""
    redis_port, web_port = free_port(), free_port()
    not_a_directory = tmp_path / "spool"
    not_a_directory.write_text("a file where the spool directory should be")
    proc = start_picat_up(tmp_path, redis_port, web_port, SPOOL_DIR=str(not_a_directory))
    try:
        output, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1, output
    assert "capture failed: stopping picat up" in output
    assert "FileExistsError" in output
    assert port_is_free(redis_port) and port_is_free(web_port)


@pytest.mark.parametrize("command", [["redis", "--port", "70000"], ["up", "--port", "0"]])
def test_a_port_out_of_range_is_a_usage_error_not_a_traceback(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(command)
    assert stopped.value.code == 2
    assert f"argument --port: invalid port_number value: {command[2]!r}" in capsys.readouterr().err
