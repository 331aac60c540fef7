"""`picat web` (filled in by the gallery work)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the web commands to `picat`."""
