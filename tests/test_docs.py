"""docs/architecture.md matches the code, so the newcomer's map cannot silently rot.

Every file in its folder tree exists and every module of the packages is in the tree;
every repository path it names in backticks exists, and `path.py:name` names something
defined in that file; its links resolve; the one-way data flow it describes holds in
the imports (webapp/ never imports capture/, capture/ never the web, schema/ neither);
and every function its two walks name runs when the request (and its fragments) is
answered and when `picat capture --once` stores a picture, traced with `sys.setprofile`.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import flask.testing
import pytest

from picat.embedded import EmbeddedRedis
from picat.schema import Catalogue, connect, index

from .factories import BASE_TIME

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("schema", "capture", "webapp", "timelapse", "picat", "bench")
"""Folders whose every module must appear in the doc's tree."""
FILE_ENDINGS = (".py", ".md", ".html", ".toml", ".yml", ".js", ".css", ".txt")
_TREE = re.compile(r"^```tree\n(.*?)^```", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_PATH = re.compile(r"[A-Za-z_][\w.-]*(?:/[\w.-]+)*/?(?::[A-Za-z_][\w.]*)?")
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def tree_entries(text: str) -> dict[str, bool]:
    """{path: is a folder without entries of its own} for every line of the ```tree blocks.

    A line is `<indent><name>  <what it does>`, two spaces of indent per level; a name
    ending in `/` is a folder, and the lines indented under it are inside it.
    """
    folders_seen, entries = set(), []
    for block in _TREE.findall(text):
        folders: list[str] = []
        for line in block.splitlines():
            if not line.strip():
                continue
            indent = len(line) - len(line.lstrip(" "))
            assert indent % 2 == 0, f"tree line not indented by two spaces a level: {line!r}"
            del folders[indent // 2:]
            name = line.split()[0]
            entries.append("".join(folders) + name.rstrip("/"))
            if name.endswith("/"):
                folders.append(name)
                folders_seen.add(entries[-1])
    return {
        path: path in folders_seen and not any(e.startswith(path + "/") for e in entries)
        for path in entries
    }


def named_paths(text: str, root: Path = ROOT) -> list[tuple[str, str | None]]:
    """(path, name or None) of every `path.py:name`, `file.md` or `folder/path` in backticks
    (a `type/subtype` or other slashed word whose first part is no folder here is not one)."""
    found = []
    for token in _CODE.findall(_TREE.sub("", text)):
        if not _PATH.fullmatch(token):
            continue
        path, _, name = token.partition(":")
        if path.endswith(FILE_ENDINGS) or ("/" in path and (root / path.split("/")[0]).exists()):
            found.append((path, name or None))
    return found


def defines(path: Path, name: str) -> bool:
    """Whether `name` (`function`, `Class`, `Class.method`, `CONSTANT`) is defined in `path`."""
    body = ast.parse(path.read_text()).body
    for part in name.split("."):
        found = None
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                if node.name == part:
                    found = node
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == part for t in targets):
                    found = node
        if found is None:
            return False
        body = getattr(found, "body", [])
    return True


def problems(text: str, root: Path = ROOT) -> list[str]:
    """What in `text` does not match the repository at `root` (empty when all holds)."""
    out = []
    entries = tree_entries(text)
    for path in entries:
        if not (root / path).exists():
            out.append(f"the tree names {path}, which does not exist")
    for package in PACKAGES:
        for module in sorted((root / package).rglob("*.py")):
            rel = module.relative_to(root).as_posix()
            if module.name == "__init__.py" or "__pycache__" in rel:
                continue
            parents = [p.as_posix() for p in Path(rel).parents]
            if rel not in entries and not any(entries.get(p) for p in parents):
                out.append(f"{rel} is missing from the tree: add a line saying its one job")
    for path, name in named_paths(text, root):
        file = root / path
        if not file.exists():
            out.append(f"`{path}` does not exist")
        elif name is not None and not (file.suffix == ".py" and defines(file, name)):
            out.append(f"`{path}:{name}`: {path} defines no {name}")
    for target in _LINK.findall(text):
        if "://" in target or target.startswith("#"):
            continue
        if not (root / "docs" / target.split("#")[0]).exists():
            out.append(f"the link ({target}) leads nowhere")
    return out


def test_architecture_doc_matches_the_code() -> None:
    assert problems(DOC.read_text()) == []


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """A wrong path, a wrong function, a module left out and a dead link are all caught."""
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "store.py").write_text("def save():\n    pass\n")
    (tmp_path / "schema" / "ids.py").write_text("")
    (tmp_path / "docs").mkdir()
    text = (
        "```tree\nschema/   the contract\n  store.py   writes\n  model.py   the model\n```\n"
        "See `schema/store.py:save`, `schema/store.py:load`, `capture/spool.py`, `schema/nope/` "
        "(not `image/jpeg`) and [query](query.md).\n"
    )
    assert problems(text, tmp_path) == [
        "the tree names schema/model.py, which does not exist",
        "schema/ids.py is missing from the tree: add a line saying its one job",
        "`schema/store.py:load`: schema/store.py defines no load",
        "`capture/spool.py` does not exist",
        "`schema/nope/` does not exist",
        "the link (query.md) leads nowhere",
    ]


FORBIDDEN = {
    "schema": ("picat.capture", "picat.webapp", "picat.timelapse", "flask", "werkzeug"),
    "capture": ("picat.webapp", "picat.timelapse", "flask", "werkzeug", "waitress"),
    "webapp": ("picat.capture",),
    "timelapse": ("picat.capture", "picat.webapp", "flask"),
}


def imports(module: Path, package: str) -> set[str]:
    """The absolute names `module` (in folder `package`, installed as picat.<package>) imports."""
    parts = ["picat", *module.relative_to(ROOT).with_suffix("").parts]
    names = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = parts[:-node.level] if node.level else []
            prefix = ".".join([*base, node.module] if node.module else base)
            names.add(prefix)
            names.update(f"{prefix}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_data_flows_one_way(package: str) -> None:
    """The arrows of docs/architecture.md: each folder imports none of what it must not know."""
    found = []
    for module in sorted((ROOT / package).rglob("*.py")):
        for name in imports(module, package):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[package]):
                found.append(f"{module.relative_to(ROOT)} imports {name}")
    assert found == []


def walk_names(heading: str) -> list[str]:
    """`path.py:name` of every step in the doc's section that starts with `heading`."""
    [section] = [part for part in DOC.read_text().split("\n## ") if part.startswith(heading)]
    return [f"{path}:{name}" for path, name in named_paths(section) if name is not None]


def _label(filename: str, qualname: str) -> str | None:
    real = os.path.realpath(filename)
    if not real.startswith(str(ROOT) + os.sep) or not real.endswith(".py"):
        return None
    return f"{Path(real).relative_to(ROOT).as_posix()}:{qualname}"


@contextmanager
def tracing() -> Iterator[set[str]]:
    """`path.py:qualname` of every function of ours called inside the block, any thread."""
    called: set[str] = set()

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            called.add(frame.f_code.co_filename + "\0" + frame.f_code.co_qualname)

    threading.setprofile(profile)
    sys.setprofile(profile)
    labels: set[str] = set()
    try:
        yield labels
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    labels.update(filter(None, (_label(*entry.split("\0")) for entry in called)))


def not_run(names: list[str], called: set[str], before: dict[str, str]) -> list[str]:
    """The named steps that did not run: `Class` counts as run when one of its methods did,
    `function` when a function defined inside it did; `before` are steps taken earlier
    than what was traced (starting the server), with why."""
    return [
        name for name in names
        if name not in before
        and not any(c == name or c.startswith(name + ".") for c in called)
    ]


REQUEST_BEFORE = {
    "webapp/server.py:serve": "starts the server once; the test client calls the app itself",
    "webapp/app.py:create_app": "builds the app once, before any request",
}


def test_the_request_walk_is_what_a_request_runs(
    client: flask.testing.FlaskClient, add_picture: Callable[..., object]
) -> None:
    for i in range(40):  # more than a page is brighter than 100 lx: there is a next page
        add_picture(600 * i, lux=float(i * 15))
    view, htmx = "lux_min=100&sort=brightest", {"HX-Request": "true"}
    first = client.get(f"/?{view}")
    assert first.status_code == 200
    cursor = re.search(r'/more\?([^"]*cursor=[^"]+)"', first.get_data(as_text=True))
    assert cursor is not None, "the page has no link to the next page"
    with tracing() as called:
        replies = [
            client.get(f"/?{view}"),
            client.get(f"/api/images?{view}"),
            client.get(f"/count?{view}", headers=htmx),
            client.get(f"/new?{view}&since={BASE_TIME}", headers=htmx),
            client.get(f"/results?{view}", headers=htmx),
            client.get("/more?" + cursor.group(1).replace("&amp;", "&"), headers=htmx),
        ]
    assert [reply.status_code for reply in replies] == [200] * len(replies)
    names = walk_names("One request")
    assert len(names) > 20, names
    assert not_run(names, called, REQUEST_BEFORE) == []


CAPTURE_BEFORE = {
    "capture/service.py:run_capture": "what `picat up` runs instead of the command",
    "capture/picamera.py:Picamera2Camera": "the Pi camera: this machine uses the stand-in",
    "schema/index.py:schema_args": "the index, defined when the schema was applied",
}
_TRACE_CAPTURE = """
import json, sys, threading
called = set()
def profile(frame, event, arg):
    if event == "call":
        called.add(frame.f_code.co_filename + "\\0" + frame.f_code.co_qualname)
from picat.cli import main
threading.setprofile(profile)
sys.setprofile(profile)
status = main(["capture", "--once", "--camera", "simulated"])
sys.setprofile(None)
threading.setprofile(None)
print(json.dumps({"status": status, "called": sorted(called)}))
"""


def test_the_capture_walk_is_what_a_capture_runs(
    embedded_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> None:
    server = embedded_redis()
    index.apply(connect(server.url), Catalogue())  # a private server: its own image:* keys
    env = {**os.environ, "REDIS_URL": server.url, "PICAT_DATA_DIR": str(tmp_path / "data"),
           "CAMERA_RESOLUTION": "160x120", "CAMERA_ID": "walk"}
    done = subprocess.run([sys.executable, "-c", _TRACE_CAPTURE], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["status"] == 0 and "stored image:" in done.stderr, done.stderr
    called = set(filter(None, (_label(*entry.split("\0")) for entry in result["called"])))
    names = walk_names("One capture")
    assert len(names) > 20, names
    assert not_run(names, called, CAPTURE_BEFORE) == []
