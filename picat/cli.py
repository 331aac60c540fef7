"""`picat`: one command line for the whole catalogue.

`redis` and `schema` live here; every other `picat <word>` has a module of its own,
`<word>_command.py` in the package whose code it drives (`COMMAND_MODULES`), whose
`register(subparsers)` adds it.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import redis

from picat import __version__
from picat.redis_client import CommandError
from picat.settings import Settings, load_settings, port_number, safe_url
from picat.signals import sigterm_as_interrupt

COMMAND_MODULES = {
    "capture": "picat.capture.capture_command",
    "import": "picat.capture.import_command",
    "web": "picat.webapp.web_command",
    "passwd": "picat.webapp.passwd_command",
    "up": "picat.up_command",
    "acl": "picat.acl_command",
    "store": "picat.store_command",
    "retention": "picat.retention_command",
    "status": "picat.status_command",
    "timelapse": "picat.timelapse.timelapse_command",
    "service": "picat.service_command",
    "doctor": "picat.doctor_command",
    "query": "picat.query_command",
}
"""The module that registers each command. Running one command loads only its
module: `picat import` has no use for Flask and the gallery, a third of its
start-up. A command missing here still works, by loading every module."""


def _cmd_redis(args: argparse.Namespace, settings: Settings) -> int:
    from picat import embedded

    sigterm_as_interrupt()
    port = args.port or settings.redis_port
    data_dir = Path(args.dir) if args.dir else settings.data_dir / "redis"
    server = embedded.EmbeddedRedis(port, data_dir, maxmemory=settings.memory_budget)
    try:
        server.start()
        print(
            f"Redis with RediSearch on {server.url} (data in {data_dir}, memory budget "
            f"{server.maxmemory / 1e9:.1f} GB); Ctrl-C stops it"
        )
        code = server.process.wait()  # type: ignore[union-attr]
        print(f"redis-server exited with status {code}", file=sys.stderr)
        return 1
    except embedded.EmbeddedRedisError as exc:
        print(f"picat redis: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        server.stop()
        print("redis-server stopped cleanly")
        return 0


def _cmd_schema_apply(args: argparse.Namespace, settings: Settings) -> int:
    from picat.schema import DEFAULT_CATALOGUE, connect, index

    r = connect(settings.effective_redis_url)
    result = index.apply(r, DEFAULT_CATALOGUE)
    print(result.describe(DEFAULT_CATALOGUE.index))
    return 0


def _cmd_schema_show(args: argparse.Namespace, settings: Settings) -> int:
    from picat.schema import DEFAULT_CATALOGUE, index

    print(index.show(DEFAULT_CATALOGUE))
    return 0


def _command_name(argv: Sequence[str]) -> str | None:
    """The command word: the first argument that is not an option (none takes a value)."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for every command, or only for `command` when its module is known."""
    parser = argparse.ArgumentParser(
        prog="picat", description="Pi Catalogue: a search-indexed image catalogue on Redis Stack."
    )
    parser.add_argument("--version", action="version", version=f"picat {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    redis_cmd = sub.add_parser("redis", help="run the embedded Redis with RediSearch")
    redis_cmd.add_argument(
        "--port", type=port_number, help="TCP port on 127.0.0.1 (PICAT_REDIS_PORT)"
    )
    redis_cmd.add_argument("--dir", help="data directory (default: PICAT_DATA_DIR/redis)")
    redis_cmd.set_defaults(func=_cmd_redis)

    schema_cmd = sub.add_parser("schema", help="manage the idx:images index")
    schema_sub = schema_cmd.add_subparsers(dest="schema_command", required=True, metavar="ACTION")
    schema_sub.add_parser(
        "apply", help="create or migrate the index, load the read functions (idempotent)"
    ).set_defaults(func=_cmd_schema_apply)
    schema_sub.add_parser(
        "show", help="print the FT.CREATE and FT.ALIASADD commands for redis-cli"
    ).set_defaults(func=_cmd_schema_show)

    own_module = COMMAND_MODULES.get(command or "")
    if own_module:
        importlib.import_module(own_module).register(sub)
    if command not in sub.choices:
        for module_name in dict.fromkeys(COMMAND_MODULES.values()):
            if module_name != own_module:
                importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    settings = load_settings()
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(_command_name(words)).parse_args(words)
    if argv is None:
        # The process is this command's: what it has loaded lives until exit, so no
        # garbage collection need walk it again, the one at exit included (a tenth of
        # a second), and forked workers do not copy its pages by marking it.
        gc.freeze()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args, settings)
    except KeyboardInterrupt:
        return 130
    except CommandError as exc:
        print(exc, file=sys.stderr)
        return exc.status
    except redis.RedisError as exc:
        print(f"picat: Redis at {safe_url(settings.effective_redis_url)}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"picat: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
