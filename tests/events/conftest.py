"""Fixtures of the events tests: live mocks on a manual clock, SSE streams and webhook receivers.

Every resource a test opens is closed at teardown in the right order (streams before the server
they read, since uvicorn waits for open responses when it stops).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from events_support import TOKEN, Receiver, SseStream, events_settings

from mock_server.testing import LiveServer


@pytest.fixture
def make_server() -> Iterator[Callable[..., LiveServer]]:
    """``make_server(**settings)``: a started ``LiveServer`` with ``events_settings(**settings)``."""
    servers: list[LiveServer] = []

    def make(**changes: Any) -> LiveServer:
        servers.append(LiveServer(events_settings(**changes)).start())
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def server(make_server: Callable[..., LiveServer]) -> LiveServer:
    return make_server()


@pytest.fixture
def open_stream(make_server: Callable[..., LiveServer]) -> Iterator[Callable[..., SseStream]]:
    """``open_stream(server, token, params=..., headers=...)``: a connected ``SseStream`` (closed at teardown)."""
    streams: list[SseStream] = []

    def connect(server: LiveServer, token: str | None = TOKEN, **options: Any) -> SseStream:
        streams.append(SseStream(server, token, **options).open())
        return streams[-1]

    yield connect
    for stream in streams:
        stream.close()


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., Receiver]]:
    """``make_receiver(script=..., start=True)``: a webhook receiver on 127.0.0.1 (stopped at teardown)."""
    receivers: list[Receiver] = []

    def make(*, start: bool = True, **options: Any) -> Receiver:
        receivers.append(Receiver(**options))
        if start:
            receivers[-1].start()
        return receivers[-1]

    yield make
    for receiver in receivers:
        receiver.release()
        receiver.stop()
