"""Settings and fixtures of the kit, for ``pytest contract_tests`` here and ``pytest --pyargs
contract_tests`` in any project.

The client suite runs against the client named by ``--piktid-client package.module:factory`` or
``--piktid-client="exec:COMMAND ARGS..."`` (the option comes from piktid-mock's pytest plugin), or
against each reference client without it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

from contract_tests.clients.harness import suite_settings
from contract_tests.clients.protocol import ClientFactory
from contract_tests.clients.reference import REFERENCE_FACTORIES
from contract_tests.clients.specs import resolve_client
from contract_tests.profiles import register_profiles
from mock_server.pytest_plugin import CLIENT_OPTION
from mock_server.testing import LiveServer


def pytest_configure(config: pytest.Config) -> None:
    """Profiles registered if missing; ``fast`` loaded unless ``--hypothesis-profile`` chose one."""
    register_profiles()
    if not config.getoption("hypothesis_profile", default=None):
        settings.load_profile("fast")


def client_specs(config: pytest.Config) -> dict[str, str]:
    """Test id -> factory spec: the ``--piktid-client`` one, or every reference client."""
    spec = config.getoption(CLIENT_OPTION, default=None)
    return {spec: spec} if spec else dict(REFERENCE_FACTORIES)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "client_spec" in metafunc.fixturenames:
        specs = client_specs(metafunc.config)
        metafunc.parametrize("client_spec", list(specs.values()), ids=list(specs), scope="session")


@pytest.fixture(scope="session")
def client_factory(client_spec: str) -> ClientFactory:
    """The client under test's ``factory(base_url, token)`` (a Python adapter or an ``exec:`` program)."""
    return resolve_client(client_spec)


@pytest.fixture(scope="session")
def contract_live_mock() -> Iterator[LiveServer]:
    """The client suite's mock: a live server (real clock, small latency) shared by every scenario."""
    with LiveServer(suite_settings()) as server:
        yield server
