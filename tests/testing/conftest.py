"""Shared helpers of the harness tests: anyio on asyncio, a PNG to upload, a local webhook receiver."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

WAIT_TIMEOUT = 10.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _png_bytes(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _wait_until(condition: Callable[[], object], timeout: float = WAIT_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.01)


@pytest.fixture
def png_bytes() -> Callable[..., bytes]:
    """``png_bytes(width, height)``: a small decodable PNG to upload."""
    return _png_bytes


@pytest.fixture
def wait_until() -> Callable[..., None]:
    """For real-time effects only (sockets): ``wait_until(condition)`` polls until true, fails after 10 s."""
    return _wait_until


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: records each POST and answers the next scripted status (then 204)."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    async def _hook(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=self.statuses.pop(0) if self.statuses else 204)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    recv = Receiver()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    recv.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    server = uvicorn.Server(uvicorn.Config(recv.app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    _wait_until(lambda: server.started)
    yield recv
    server.should_exit = True
    thread.join(WAIT_TIMEOUT)
    sock.close()


API = "https://v2.api.piktid.com"
TOKEN = "tester"


@pytest.fixture
def api(piktid_mock: object) -> Iterator[httpx.Client]:
    """A sync client of the in-process mock (``piktid_mock``), authenticated as ``tester``."""
    with httpx.Client(base_url=API, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5) as client:
        yield client
