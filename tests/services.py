"""Reaching the machine's services from tests: skip on a laptop without them, fail in CI."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(what: str, why: str) -> None:
    """Skip with a reason on a laptop; fail when CI=true, where the service must be there."""
    message = f"{what} unreachable: {why}"
    if IN_CI:
        pytest.fail(message + " (CI=true: services must be running)")
    pytest.skip(message)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> bool:
    """Whether something accepts connections on ``port`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's standalone S3 server in its own process on a free loopback port, answering one
    request at a time (see ``tests/moto_serial.py``: its conditional puts race otherwise);
    yields its URL.

    A separate process, not moto's threaded server: delta-rs calls block while holding the GIL,
    which would deadlock a server thread in the same interpreter.
    """
    port = free_port()
    if importlib.util.find_spec("moto.moto_server") is None:
        unavailable("moto_server", "not installed (pip install 'moto[server]')")
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("moto_serial.py")), "127.0.0.1", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        if not wait_for_port(port):
            unavailable("moto_server", "did not start within 20 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


class RedisProcess:
    """A ``redis-server`` of a test's own on a spare loopback port (no persistence), which the
    test may stop and start again on the same port to see the server lose and regain Redis."""

    def __init__(self, password: str | None = None) -> None:
        self.exe = shutil.which("redis-server")
        if self.exe is None:
            unavailable("redis-server", "not installed (apt install redis-server)")
        self.port = free_port()
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.exe is not None
        args = [self.exe, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--protected-mode", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for_port(self.port, timeout=10):
            self.stop()
            unavailable("redis-server", f"did not start on port {self.port} within 10 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def flush(self) -> None:
        import redis

        with redis.Redis.from_url(self.url) as client:
            client.flushall()


@contextmanager
def redis_process(password: str | None = None) -> Iterator[RedisProcess]:
    """A started :class:`RedisProcess`, stopped afterwards."""
    server = RedisProcess(password)
    server.start()
    try:
        yield server
    finally:
        server.stop()
