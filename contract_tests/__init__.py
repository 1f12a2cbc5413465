"""piktid-mock's contract kit: does the mock follow the spec, and does *your* client?

``pytest --pyargs contract_tests --piktid-client=package.module:factory`` runs both suites; a client
in any language runs with ``--piktid-client="exec:COMMAND ARGS..."`` (JSON lines on stdin/stdout,
``contract_tests.clients.exec_adapter``); ``piktid-mock lint`` judges the traffic of any test suite
from the mock's journal (``contract_tests.lint``). The pieces are importable for your own tests: the
checks (``contract_tests.checks``), the findings they report, the server checks
(``contract_tests.server``) and the client scenarios (``contract_tests.clients``).
"""

from contract_tests.calls import Call
from contract_tests.checks import (
    Check,
    credits_conserved,
    dimensions_delivered,
    failures_surfaced,
    no_server_errors,
    no_unexpected_client_errors,
    notifications_consumed,
    one_notification_per_variation,
    rejected_as_documented,
    requests_valid,
    reservations_settled,
    results_agree_with_notifications,
    results_conform,
    sent_as_asked,
    surfaced_status,
    waited_for_final_results,
    waited_on_results_not_status,
    webhook_signature_verified,
)
from contract_tests.findings import ContractViolation, Finding, raise_findings

__all__ = [
    "Call",
    "Check",
    "ContractViolation",
    "Finding",
    "credits_conserved",
    "dimensions_delivered",
    "failures_surfaced",
    "no_server_errors",
    "no_unexpected_client_errors",
    "notifications_consumed",
    "one_notification_per_variation",
    "raise_findings",
    "rejected_as_documented",
    "requests_valid",
    "reservations_settled",
    "results_agree_with_notifications",
    "results_conform",
    "sent_as_asked",
    "surfaced_status",
    "waited_for_final_results",
    "waited_on_results_not_status",
    "webhook_signature_verified",
]
