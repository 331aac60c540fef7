"""SIGTERM handled like Ctrl-C, so `systemctl stop` and `kill` shut down as cleanly."""

from __future__ import annotations

import signal


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def sigterm_as_interrupt() -> None:
    """Install before starting anything that must be stopped cleanly."""
    signal.signal(signal.SIGTERM, _raise_interrupt)
