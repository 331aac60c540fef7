"""Pi Catalogue: a search-indexed image catalogue on Redis Stack.

The folders `schema/`, `capture/`, `webapp/` and `timelapse/` at the top of the
repository are this package's sub-packages `picat.schema`, `picat.capture`,
`picat.webapp` and `picat.timelapse`: `picat/schema` is a symbolic link to
`../schema` and so on (and `src/picat`, the path the editable install adds, links
here), so an editor, a type checker or a wheel build finds them by following files
alone. This package holds what binds them together:
configuration, the embedded Redis server and the CLI.
"""

__version__ = "0.1.0"


def refuse_stray_import(name: str) -> None:
    """Stop `import schema` (or `capture`, `webapp`, `timelapse`) run from the repository root.

    Python puts the working directory first on `sys.path`, so there a bare `import
    schema` would find the folder and load a second copy of the code, whose classes
    are not ours (`schema.Image is not picat.schema.Image`), and would shadow PyPI's
    `schema`. Each folder's `__init__.py` calls this before it imports anything.
    """
    if not name.startswith("picat."):
        raise ImportError(
            f"`{name}` is the folder of the package `picat.{name}`: import `picat.{name}` "
            f"(install the project first: pip install -e .)",
            name=name,
        )
