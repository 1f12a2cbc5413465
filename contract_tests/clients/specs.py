"""``--piktid-client`` values: ``package.module:factory`` (a Python adapter) or ``exec:COMMAND ARGS...``."""

from __future__ import annotations

import pytest

from contract_tests.clients.exec_adapter import EXEC_PREFIX, exec_factory
from contract_tests.clients.protocol import ClientFactory
from mock_server.pytest_plugin import CLIENT_OPTION, resolve_factory


def resolve_client(spec: str) -> ClientFactory:
    """The ``factory(base_url, token)`` a spec names; ``pytest.UsageError`` saying what is wrong otherwise."""
    if not spec.startswith(EXEC_PREFIX):
        return resolve_factory(spec)
    try:
        return exec_factory(spec)
    except ValueError as exc:
        raise pytest.UsageError(f"{CLIENT_OPTION}: {exc}") from exc
