"""Where server conformance runs: the app in-process (ASGI) or a live server over loopback HTTP.

A ``Target`` is an ``httpx.Client`` bound to the mock plus the ``MockControl`` that drives it, so
every check is written once and runs on both (in-process goes through ``mock_piktid``, the respx
bridge users' httpx tests use). Both use the manual clock: a generation completes
when the check advances time, never by waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx

from mock_server.settings import Settings
from mock_server.testing import LiveServer, MockControl, mock_piktid

REQUEST_TIMEOUT = 30.0
IN_PROCESS_URL = "https://v2.api.piktid.com"


@dataclass(slots=True)
class Target:
    """A mock to test: ``http`` sends API requests (paths relative), ``control`` drives its state."""

    name: str
    http: httpx.Client
    control: MockControl
    settings: Settings

    def reset(self) -> None:
        self.control.reset()


def conformance_settings(**overrides: Any) -> Settings:
    """Settings for server conformance: manual clock, 1 s per variation, fixed seed."""
    return replace(Settings(clock="manual", latency=1.0, seed=7), **overrides)


@contextmanager
def in_process(settings: Settings | None = None) -> Iterator[Target]:
    """The app in this process behind ``mock_piktid`` (respx): no sockets, one event-loop thread."""
    settings = settings or conformance_settings()
    with (
        mock_piktid(settings=settings, base_url=IN_PROCESS_URL) as control,
        httpx.Client(base_url=IN_PROCESS_URL, timeout=REQUEST_TIMEOUT) as client,
    ):
        yield Target("in-process", client, control, control.backend.settings)


@contextmanager
def over_http(settings: Settings | None = None) -> Iterator[Target]:
    """A ``LiveServer`` on a free loopback port, reached with a real ``httpx.Client``."""
    settings = settings or conformance_settings()
    with LiveServer(settings) as server, httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT) as client:
        yield Target("over-http", client, server.control, settings)
