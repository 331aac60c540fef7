"""Installed, our folders live under `picat`, so PyPI's `schema` keeps working beside us;
from the repository root a bare `import schema` is refused rather than load a second copy;
the sub-packages are found by following files (links, a plain path for the editable
install), and a wheel holds them all."""

from __future__ import annotations

import importlib.machinery
import os
import shutil
import site
import subprocess
import sys
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("schema", "capture", "webapp", "timelapse")
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
    try:  # not importorskip: from the repository root, `import schema` is refused (below)
        version("schema")
    except PackageNotFoundError:
        pytest.skip("PyPI's `schema` is part of the [test] extra")
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

STRAY = """
import sys
for name in ("schema", "capture", "webapp", "timelapse", "schema.query", "schema.ids"):
    try:
        __import__(name)
    except ImportError as exc:
        print(name, "|", exc)
    else:
        print(name, "| imported")
import picat.schema, picat.schema.query
print(sorted(name for name in sys.modules if name.split(".")[0] in {folders}))
print(picat.schema.Image.__module__, picat.schema.query.search.__module__)
"""


def test_a_stray_top_level_import_from_the_repository_root_is_refused() -> None:
    """Python puts the working directory first on `sys.path`: from the repository root a
    bare `import schema` would load a second copy of the code. It says what to import."""
    done = subprocess.run(
        [sys.executable, "-c", STRAY.replace("{folders}", repr(set(FOLDERS)))],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    *refusals, loaded, modules = done.stdout.splitlines()
    for line in refusals:
        name, message = line.split(" | ")
        package = name.split(".")[0]
        assert message == (
            f"`{package}` is the folder of the package `picat.{package}`: import "
            f"`picat.{package}` (install the project first: pip install -e .)"
        ), line
    assert loaded == "[]"  # no second copy of any module
    assert modules == "picat.schema.model picat.schema.query.views"


def test_the_sub_packages_are_found_by_following_files_alone() -> None:
    """`picat/schema` and the others are links to the top-level folders, so a tool that
    reads files (a type checker, an editor, a wheel build) resolves `picat.schema.x`
    without running the editable install's import hook."""
    picat_dir = ROOT / "picat"
    for folder in FOLDERS:
        spec = importlib.machinery.PathFinder.find_spec(f"picat.{folder}", [str(picat_dir)])
        assert spec is not None and spec.origin is not None, folder
        assert Path(spec.origin).samefile(ROOT / folder / "__init__.py")
    query = importlib.machinery.PathFinder.find_spec(
        "picat.schema.query", [str(picat_dir / "schema")]
    )
    assert query is not None and Path(str(query.origin)).samefile(
        ROOT / "schema" / "query" / "__init__.py"
    )
    installed = importlib.machinery.PathFinder.find_spec("picat", [str(ROOT / "src")])
    assert installed is not None and Path(str(installed.origin)).samefile(
        ROOT / "picat" / "__init__.py"
    )


def test_the_editable_install_is_a_plain_path_that_exposes_only_picat() -> None:
    """`pip install -e .` adds src/ to sys.path with a .pth line, which type checkers and
    editors read (an import hook they cannot run is what setuptools uses otherwise), and
    src/ holds `picat` alone, so no top-level `schema` or `capture` comes with it."""
    pths = [path for folder in site.getsitepackages()
            for path in Path(folder).glob("__editable__.pi_catalogue-*.pth")]
    if not pths:
        pytest.skip("the project is not installed in editable mode here")
    (pth,) = pths
    assert pth.read_text().split() == [str(ROOT / "src")]
    importable = [p.name for p in (ROOT / "src").iterdir() if not p.name.endswith(".egg-info")]
    assert importable == ["picat"]


WHEEL_PROBE = """
import sys
from pathlib import Path
import picat, picat.cli, picat.schema, picat.schema.query, picat.capture, picat.webapp
import picat.timelapse
target = Path(sys.argv[1]).resolve()
for module in (picat, picat.schema, picat.schema.query, picat.capture, picat.webapp,
               picat.timelapse):
    assert Path(module.__file__).resolve().is_relative_to(target), module.__file__
webapp = Path(picat.webapp.__file__).parent
assert (webapp / "templates").is_dir() and (webapp / "static").is_dir()
app = picat.webapp.create_app("redis://127.0.0.1:1/0", secret_key=b"x")
print(sorted(app.jinja_env.list_templates())[:1])
"""


@pytest.mark.slow
def test_a_wheel_holds_every_package_as_files_and_installs(tmp_path: Path) -> None:
    """Built from a copy of the sources (the links included), as pip builds an sdist."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("src", "picat", *FOLDERS):
        shutil.copytree(ROOT / folder, source / folder, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         str(source), "-w", str(wheels)],
        capture_output=True, text=True, timeout=240,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = wheels.glob("pi_catalogue-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"picat", "pi_catalogue-0.1.0.dist-info"}
    for folder in FOLDERS:
        mine = {p.relative_to(ROOT / folder).as_posix() for p in (ROOT / folder).rglob("*.py")}
        packed = {n.removeprefix(f"picat/{folder}/") for n in names
                  if n.startswith(f"picat/{folder}/") and n.endswith(".py")}
        assert packed == mine, folder
    target = tmp_path / "installed"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
         str(wheel)],
        capture_output=True, text=True, timeout=240,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    done = subprocess.run(
        [sys.executable, "-c", WHEEL_PROBE, str(target)], cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)}, capture_output=True, text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().startswith("['")
