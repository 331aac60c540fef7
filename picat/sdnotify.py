"""systemd's notify protocol: one datagram per message to the socket in NOTIFY_SOCKET.

The protocol is a single `sendto` of `KEY=value` lines on an AF_UNIX datagram
socket (an abstract one when the address starts with `@`), so it is written here
rather than taken from a dependency. Outside systemd (no NOTIFY_SOCKET) every call
does nothing. `READY=1` tells a `Type=notify` unit the service is up, `WATCHDOG=1`
keeps a unit with `WatchdogSec=` from being killed, `STOPPING=1` says it is stopping.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger("picat")


def _address() -> str | None:
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return None
    return "\0" + address[1:] if address.startswith("@") else address


def notify(*lines: str) -> bool:
    """Send one message; False when not run by systemd or the socket refused it."""
    address = _address()
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto("\n".join(lines).encode(), address)
    except OSError as exc:
        log.warning("cannot notify systemd at %s: %s", os.environ.get("NOTIFY_SOCKET"), exc)
        return False
    return True


def watchdog_seconds() -> float | None:
    """The unit's WatchdogSec when systemd expects pings from this process, else None."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or _address() is None or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 1e6 or None
    except ValueError:
        return None
