"""``RedisServer``: a throwaway ``redis-server`` on a free loopback port, for tests of the Redis store.

No persistence, no disk: it lives as long as the ``with`` block (or until ``stop``). Tests of a
client against a mock on Redis start one with ``need_tool("redis-server")`` and point
``Settings(store=server.url)`` (or ``piktid-mock serve --store``) at it.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from types import TracebackType

import redis


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """``url`` is ``redis://127.0.0.1:PORT/0`` once started; ``stop`` and ``start`` again keep the port."""

    def __init__(self, binary: str = "redis-server", port: int | None = None) -> None:
        self.binary, self.port = binary, port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="piktid-mock-redis-")

    def start(self, timeout: float = 10.0) -> RedisServer:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        args += ["--dir", self._dir.name]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.02)
            finally:
                client.close()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)
        self._process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
        self._dir.cleanup()
