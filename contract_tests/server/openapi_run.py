"""A schemathesis run of ``piktid_spec.openapi()`` against the app, in-process (ASGI).

Positive and negative cases for every operation; each answer must not be a server error and must
match the response schema of its status. Two operations are adjusted, never dropped silently:
the SSE stream never ends (its frames are checked by the events tests), so it is excluded; a
webhook URL is pinned to a dead loopback port so no delivery ever leaves the machine.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from contract_tests.server.draws import run_settings
from mock_server.http.app import create_app
from mock_server.settings import Settings
from piktid_spec import openapi

TOKEN = "schemathesis"
EXCLUDED_PATHS = ("/notifications/events",)
DEAD_RECEIVER = "http://127.0.0.1:9/piktid-webhook"
"""Port 9 (discard) on loopback: deliveries fail fast and stay on this machine."""


def _loopback_only(case: Any) -> None:
    """Any webhook URL a case sets is replaced by the dead loopback receiver."""
    if case.path.startswith("/webhooks") and isinstance(case.body, dict) and "url" in case.body:
        case.body = {**case.body, "url": DEAD_RECEIVER}


def openapi_schema(app: Any) -> Any:
    """The spec's OpenAPI document loaded by schemathesis, bound to ``app`` (requests stay in-process)."""
    import schemathesis  # imported on use: it is slow to import and only this check needs it

    schema = schemathesis.openapi.from_dict(openapi())
    schema.app = app
    return schema.exclude(path=list(EXCLUDED_PATHS))


def check_openapi_conformance(*, max_examples: int | None = None, settings: Settings | None = None) -> None:
    """No answer is a 5xx or breaks the documented schema of its status, for valid and invalid cases."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import response_schema_conformance

    app = create_app(settings or Settings(clock="manual", seed=11))
    schema = openapi_schema(app)
    checks = [not_a_server_error, response_schema_conformance]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    strategy = st.one_of(
        [
            schema.as_strategy(generation_mode=mode, headers=headers)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
    )

    @given(case=strategy)
    @run_settings(max_examples)
    def exchange(case: Any) -> None:
        _loopback_only(case)
        response = case.call()
        case.validate_response(response, checks=checks)

    exchange()
