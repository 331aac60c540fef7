"""`picat capture` and `picat import` (filled in by the capture work)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the capture commands to `picat`."""
