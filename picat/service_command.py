"""`picat service install|show`: write (or print) the systemd units for capture and the gallery."""

from __future__ import annotations

import argparse
import os
import sys

from picat.settings import Settings
from picat.units import install, make_target, picat_executable, units_for


def _cmd_install(args: argparse.Namespace, settings: Settings) -> int:
    if args.system and os.geteuid() != 0:
        print("picat service install --system writes /etc/systemd/system: run it with sudo "
              f"(sudo {picat_executable()} service install --system), or drop --system for "
              "units of your own user", file=sys.stderr)
        return 2
    target = make_target(settings, args.system, args.camera)
    return install(target, units_for(target, args.web), start=not args.no_start)


def _cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    target = make_target(settings, args.system, args.camera)
    for name, text in units_for(target, args.web).items():
        print(f"# {target.unit_dir / name}\n{text}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `picat service` to `picat`."""
    service = sub.add_parser("service", help="install systemd units for capture (and gallery)")
    actions = service.add_subparsers(dest="service_command", required=True, metavar="ACTION")
    for name, func, text in (
        ("install", _cmd_install, "write, enable and start the units"),
        ("show", _cmd_show, "print the units install would write"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--system", action="store_true",
                            help="system units in /etc/systemd/system (needs sudo); "
                                 "default: units of your user, started at boot by lingering")
        action.add_argument("--web", action="store_true", help="also the gallery (picat web)")
        action.add_argument("--camera", choices=("picamera2", "simulated"),
                            help="pin this camera (default: picamera2 on a Raspberry Pi)")
        if name == "install":
            action.add_argument("--no-start", action="store_true", help="enable, do not start")
        action.set_defaults(func=func)
