"""docs/architecture.md matches the code, so the newcomer's map cannot silently rot.

Every file in its folder tree exists and every module of the packages is in the tree;
every repository path it names in backticks exists, and `path.py:name` names something
defined in that file; its links resolve; and the one-way data flow it describes holds
in the imports (webapp/ never imports capture/, capture/ never the web, schema/ neither).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

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
