"""Shared fixtures of the mock_server tests: the mock on a manual clock, in-process and live.

``env`` runs a test twice: through the ASGI app in-process (``asgi``) and through real HTTP to
uvicorn on a free loopback port (``live``). Either way ``env.control`` (a ``MockControl``) moves
the clock and sets accounts without racing the server, and the helpers speak the documented API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from mock_support import Env, asgi_client

from mock_server import Backend, Settings
from mock_server.testing import LiveServer, MockControl


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def live_server(mock_store: str) -> Iterator[LiveServer]:
    """One uvicorn server per module and store (manual clock, seeded); each test resets its state."""
    with LiveServer(Settings(clock="manual", seed=1)) as server:
        yield server


@pytest.fixture
async def make_env() -> AsyncIterator[Callable[..., Awaitable[Env]]]:
    """``await make_env(Settings(...))``: an in-process mock with those settings (manual clock by default)."""
    async with AsyncExitStack() as stack:

        async def make(settings: Settings | None = None, **changes: Any) -> Env:
            chosen = settings or Settings(clock="manual", seed=1, **changes)
            backend = Backend(chosen, fresh=True)
            client = await stack.enter_async_context(asgi_client(backend))
            return Env(client, MockControl(backend), "asgi")

        yield make


@pytest.fixture(params=["asgi", "live"])
async def env(request: pytest.FixtureRequest, make_env: Callable[..., Awaitable[Env]]) -> AsyncIterator[Env]:
    """The default mock (manual clock, open mode), in-process and over real HTTP."""
    if request.param == "asgi":
        yield await make_env()
        return
    server: LiveServer = request.getfixturevalue("live_server")
    server.control.reset()
    async with httpx.AsyncClient(base_url=server.url, trust_env=False) as client:
        yield Env(client, server.control, "live")
