"""`picat`: one command line for the whole catalogue.

Core commands live here; `capture/` and `webapp/` each add theirs through a
`register(subparsers)` function in their `commands` module.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import redis

from picat import __version__
from picat.settings import Settings, load_settings, port_number, safe_url
from picat.signals import sigterm_as_interrupt

COMMAND_MODULES = ("picat.capture.commands", "picat.webapp.commands", "picat.up", "picat.acl")


def _cmd_redis(args: argparse.Namespace, settings: Settings) -> int:
    from picat import embedded

    sigterm_as_interrupt()
    port = args.port or settings.redis_port
    data_dir = Path(args.dir) if args.dir else settings.data_dir / "redis"
    server = embedded.EmbeddedRedis(port, data_dir)
    try:
        server.start()
        print(f"Redis with RediSearch on {server.url} (data in {data_dir}); Ctrl-C stops it")
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


def build_parser() -> argparse.ArgumentParser:
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
        "apply", help="create or migrate the index (idempotent, no downtime)"
    ).set_defaults(func=_cmd_schema_apply)
    schema_sub.add_parser(
        "show", help="print the FT.CREATE and FT.ALIASADD commands for redis-cli"
    ).set_defaults(func=_cmd_schema_show)

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    settings = load_settings()
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args, settings)
    except KeyboardInterrupt:
        return 130
    except redis.RedisError as exc:
        print(f"picat: Redis at {safe_url(settings.effective_redis_url)}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"picat: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
