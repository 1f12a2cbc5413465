"""Client conformance: every scenario on the client under test (``--piktid-client``, or each reference)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract_tests.clients.protocol import ClientFactory
from contract_tests.clients.scenarios import SCENARIOS, run_scenario
from contract_tests.findings import raise_findings
from mock_server.testing import LiveServer

NOT_APPLICABLE = {
    "webhook_signature": "no verify_webhook",
    "sse_tracking": "its wait polls results instead of listening to the SSE stream",
}
"""Scenario -> why it may not apply to a client."""


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_client_follows_the_contract(
    scenario: str, client_factory: ClientFactory, contract_live_mock: LiveServer, tmp_path: Path
) -> None:
    findings = run_scenario(scenario, client_factory, contract_live_mock, tmp_path)
    if findings is None:
        pytest.skip(f"{scenario} does not apply to this client ({NOT_APPLICABLE.get(scenario, 'see its docstring')})")
    raise_findings(findings)
