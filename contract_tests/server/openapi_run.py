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
PUBLIC_PREFIX = "/storage/"
DEAD_RECEIVER = "http://127.0.0.1:9/piktid-webhook"
"""Port 9 (discard) on loopback: deliveries fail fast and stay on this machine."""


def _loopback_only(case: Any) -> None:
    """Any webhook URL a case sets is replaced by the dead loopback receiver."""
    if case.path.startswith("/webhooks") and isinstance(case.body, dict) and "url" in case.body:
        case.body = {**case.body, "url": DEAD_RECEIVER}


def _token_where_the_api_takes_one(case: Any) -> None:
    """The storage URLs are pre-signed and refuse any Authorization header (S3: one auth mechanism), so none is sent."""
    if case.path.startswith(PUBLIC_PREFIX) and case.headers:
        case.headers = {k: v for k, v in case.headers.items() if k.lower() != "authorization"}


def _identity_image(case: Any) -> bytes | None:
    """The bytes of an identity upload's ``image`` part, or None for other operations and non-binary values."""
    if case.path != "/identity/upload" or not isinstance(case.body, dict):
        return None
    image = case.body.get("image")
    data = getattr(image, "data", image)
    return data if isinstance(data, bytes) else None


def _checks_for(case: Any, checks: list[Any]) -> list[Any]:
    """The checks that can hold for ``case``; two are lifted on identity uploads, each for a stated reason.

    - Any bytes satisfy ``format: binary``, but only a decodable image is an identity (400 otherwise, as the
      document says in words: JSON Schema cannot decode an image), so undecodable ones need not be accepted.
    - Every multipart text field is a string on the wire: a "wrong type" tag or name arrives as text the
      schema allows, so a request with a decodable image need not be rejected.
    """
    from mock_server.backend import probe_image

    if case.path != "/identity/upload":
        return checks
    data = _identity_image(case)
    lifted = "negative_data_rejection" if data is not None and probe_image(data) else "positive_data_acceptance"
    return [c for c in checks if c.__name__ != lifted]


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
    from schemathesis.specs.openapi.checks import (
        negative_data_rejection,
        positive_data_acceptance,
        response_schema_conformance,
        unsupported_method,
    )

    app = create_app(settings or Settings(clock="manual", seed=11))
    schema = openapi_schema(app)
    checks = [
        not_a_server_error,
        response_schema_conformance,
        positive_data_acceptance,
        negative_data_rejection,
        unsupported_method,
    ]
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
        _token_where_the_api_takes_one(case)
        response = case.call()
        case.validate_response(response, checks=_checks_for(case, checks))

    exchange()
