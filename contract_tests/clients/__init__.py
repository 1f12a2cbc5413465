"""Client conformance: the protocol a client adapter implements, the scenarios, the reference clients."""

from contract_tests.clients.harness import Session, suite_settings
from contract_tests.clients.protocol import ClientFactory, PiktidClient, WebhookVerifier
from contract_tests.clients.scenarios import SCENARIOS, run_scenario

__all__ = [
    "SCENARIOS",
    "ClientFactory",
    "PiktidClient",
    "Session",
    "WebhookVerifier",
    "run_scenario",
    "suite_settings",
]
