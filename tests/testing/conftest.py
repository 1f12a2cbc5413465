"""Shared fixtures of the harness tests: anyio on asyncio, a local webhook receiver, an API client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mock_server.testing import WebhookReceiver


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A ``WebhookReceiver`` answering 204 to every delivery."""
    with WebhookReceiver() as hooks:
        yield hooks


API = "https://v2.api.piktid.com"
TOKEN = "tester"


@pytest.fixture
def api(piktid_mock: object) -> Iterator[httpx.Client]:
    """A sync client of the in-process mock (``piktid_mock``), authenticated as ``tester``."""
    with httpx.Client(base_url=API, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5) as client:
        yield client
