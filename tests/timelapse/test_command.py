"""`picat timelapse`: the same frames from the command line, a clear refusal over the limit."""

from __future__ import annotations

import subprocess
from pathlib import Path

from picat.schema import DEFAULT_CATALOGUE, connect, index, store

from ..factories import jpeg, picture
from ..running import run_picat
from .conftest import code_colour, decoded_codes

DAY = 86400
START = 1_760_000_000 - 1_760_000_000 % DAY


def _picat(url: str, tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`picat timelapse <args>` with its data directory in `tmp_path`."""
    return run_picat(url, "timelapse", *args, timeout=120, PICAT_DATA_DIR=str(tmp_path), **env)


def test_daily_at_noon_from_the_command_line(embedded_redis, tmp_path: Path):
    server = embedded_redis()  # a private server: this test writes the product's image:* keys
    r = connect(server.url)
    index.apply(r, DEFAULT_CATALOGUE)
    for day in range(5):
        for n, hour in enumerate((6, 11, 13, 18)):  # 11:00 is nearest noon (13:00 ties, later)
            timestamp = START + day * DAY + hour * 3600
            image = picture(
                timestamp, camera="garden", time_of_day=hour * 3600, utc_offset=0, width=64,
                height=48,
            )
            code = day * 4 + n
            store.save(r, image, jpeg(code_colour(code), quality=95), None, DEFAULT_CATALOGUE)
    out = tmp_path / "noon.mp4"
    done = _picat(server.url, tmp_path, "--pick", "daily", "--at", "12:00", "--fps", "5",
                  "--size", "source", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "5 frames" in done.stdout
    codes, rate = decoded_codes(out)
    assert rate == 5 and codes == [day * 4 + 1 for day in range(5)]
    assert not out.with_name("noon.mp4.part").exists()

    refused = _picat(server.url, tmp_path, "--out", str(tmp_path / "all.mp4"),
                     PICAT_TIMELAPSE_MAX_FRAMES="10")
    assert refused.returncode == 1 and "more than 10 frames" in refused.stderr
    bad = _picat(server.url, tmp_path, "--pick", "daily", "--at", "noon", "--out", "x.mp4")
    assert bad.returncode == 2 and "--at" in bad.stderr and "Traceback" not in bad.stderr
