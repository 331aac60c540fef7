"""Installed, our folders live under `picat`, so PyPI's `schema` keeps working beside us."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import importlib.util, sys
import schema
assert schema.Schema(int).validate(3) == 3, "PyPI schema broken"
import picat.schema, picat.capture, picat.webapp, picat.timelapse
assert picat.schema.Catalogue().key("1681843615") == "image:1681843615"
print(schema.__file__)
print(importlib.util.find_spec("capture"))
"""


def test_pypi_schema_and_picat_schema_coexist(tmp_path: Path) -> None:
    pytest.importorskip("schema", reason="PyPI's `schema` is part of the [test] extra")
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    schema_file, capture_spec = done.stdout.splitlines()
    assert Path(schema_file).parent.parent.name == "site-packages"
    assert capture_spec == "None"


def test_console_script_is_installed() -> None:
    bindir = Path(sys.executable).parent
    done = subprocess.run([str(bindir / "picat"), "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for command in ("redis", "schema", "up"):
        assert command in done.stdout
