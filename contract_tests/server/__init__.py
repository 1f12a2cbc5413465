"""Server conformance: the mock checked against ``piktid_spec`` (draws, OpenAPI, state machine)."""

from contract_tests.server.draws import check_invalid_requests, check_valid_requests, invalid_draws, valid_draws
from contract_tests.server.machine import ServerMachine, check_state_machine, machine_for
from contract_tests.server.openapi_run import check_openapi_conformance
from contract_tests.server.rate import check_rate_limit
from contract_tests.server.targets import Target, conformance_settings, in_process, over_http

__all__ = [
    "ServerMachine",
    "Target",
    "check_invalid_requests",
    "check_openapi_conformance",
    "check_rate_limit",
    "check_state_machine",
    "check_valid_requests",
    "conformance_settings",
    "in_process",
    "invalid_draws",
    "machine_for",
    "over_http",
    "valid_draws",
]
