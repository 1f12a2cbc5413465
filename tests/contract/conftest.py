"""Shared fixtures of the contract-kit tests: one live mock for the client scenarios."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contract_tests.clients.harness import suite_settings
from mock_server.testing import LiveServer


@pytest.fixture(scope="module")
def live_mock(mock_store: str) -> Iterator[LiveServer]:
    with LiveServer(suite_settings()) as server:
        yield server
