"""`REDIS_URL` with a password, an ACL user, or TLS (`rediss://`) reaches the server."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from picat.embedded import EmbeddedRedis
from picat.schema import connect

from ..running import run_picat


def test_password_and_acl_user_in_the_url(
    embedded_redis: Callable[..., EmbeddedRedis],
) -> None:
    server = embedded_redis()
    admin = connect(server.url)
    admin.acl_setuser(
        "curator", enabled=True, passwords=["+s3cret pass"], commands=["+@all"], keys=["*"]
    )
    admin.config_set("requirepass", "default-pw")

    default = run_picat(f"redis://:default-pw@127.0.0.1:{server.port}/0", "schema", "apply")
    assert default.returncode == 0
    done = run_picat(f"redis://curator:s3cret%20pass@127.0.0.1:{server.port}/0", "schema", "apply")
    assert done.returncode == 0 and "up to date" in done.stdout

    refused = run_picat(f"redis://curator:wrong@127.0.0.1:{server.port}/0", "schema", "apply")
    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr and "redis" in refused.stderr.lower()


@pytest.fixture
def tls_proxy(
    embedded_redis: Callable[..., EmbeddedRedis], tmp_path: Path
) -> Iterator[tuple[int, Path]]:
    """A TLS front for a plain server: our wheels' redis-server is built without TLS."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    backend = embedded_redis()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port: list[int] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", backend.port)
        await asyncio.gather(
            pipe(client_r, server_w), pipe(server_r, client_w), return_exceptions=True
        )

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
        port.append(server.sockets[0].getsockname()[1])
        ready.set()
        async with server:
            await server.serve_forever()

    threading.Thread(target=loop.run_forever, daemon=True).start()
    serving = asyncio.run_coroutine_threadsafe(main(), loop)
    ready.wait(10)
    yield port[0], cert
    serving.cancel()
    loop.call_soon_threadsafe(loop.stop)


def test_rediss_url(tls_proxy: tuple[int, Path]) -> None:
    port, cert = tls_proxy
    done = run_picat(f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={cert}", "schema", "apply")
    assert done.returncode == 0, done.stderr
    assert "created" in done.stdout
