"""Client conformance: the protocol a client adapter implements, the scenarios, the reference clients.

A client is a Python adapter (``package.module:factory``) or any program speaking JSON lines
(``exec:COMMAND ARGS...``, see ``contract_tests.clients.exec_adapter``); ``resolve_client`` takes either.
"""

from contract_tests.clients.exec_adapter import AdapterError, AdapterFailure, ExecClient, exec_factory
from contract_tests.clients.harness import Session, suite_settings
from contract_tests.clients.protocol import ClientFactory, PiktidClient, WebhookVerifier
from contract_tests.clients.scenarios import SCENARIOS, run_scenario
from contract_tests.clients.specs import resolve_client

__all__ = [
    "SCENARIOS",
    "AdapterError",
    "AdapterFailure",
    "ClientFactory",
    "ExecClient",
    "PiktidClient",
    "Session",
    "WebhookVerifier",
    "exec_factory",
    "resolve_client",
    "run_scenario",
    "suite_settings",
]
