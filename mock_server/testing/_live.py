"""``LiveServer``: the mock on uvicorn in a thread, on a free loopback port, for any HTTP client."""

from __future__ import annotations

import socket
import threading
from types import TracebackType

import uvicorn

from mock_server.backend import Backend
from mock_server.http import sse  # noqa: F401  # before the server: sse_starlette hooks uvicorn's exit at import
from mock_server.http.app import create_app
from mock_server.server_limits import DEFAULT_LIMITS, ServerLimits
from mock_server.settings import Settings
from mock_server.store import Store
from mock_server.testing._control import MockControl
from mock_server.testing._wait import wait_until

START_TIMEOUT = 10.0


class LiveServer:
    """``with LiveServer() as server: requests.get(server.url + ...)``; ``server.control`` drives it."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        host: str = "127.0.0.1",
        limits: ServerLimits = DEFAULT_LIMITS,
        store: Store | None = None,
    ) -> None:
        """``limits``: connection limits, the same defaults as ``piktid-mock serve``; ``store``: the state
        to serve (by default the one ``settings.store`` names), emptied first."""
        self.backend = Backend(settings, store=store, fresh=True)
        self.app = create_app(backend=self.backend)
        self.control = MockControl(self.backend)
        self.host = host
        self._socket = socket.socket(
            socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
        )  # asyncio sets TCP_NODELAY only then
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        self.port: int = self._socket.getsockname()[1]
        self._server = uvicorn.Server(
            uvicorn.Config(self.app, log_level="warning", lifespan="on", **limits.uvicorn_options())
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the server (no trailing slash), known before ``start()``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> LiveServer:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="piktid-mock-live", daemon=True
        )
        self._thread.start()
        thread = self._thread
        wait_until(
            lambda: self._server.started or not thread.is_alive(), START_TIMEOUT, what=f"piktid-mock on {self.url}"
        )
        if not self._server.started:
            raise RuntimeError(f"piktid-mock did not start on {self.url}")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(START_TIMEOUT)
        self._socket.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
