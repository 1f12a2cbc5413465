"""Server conformance of the mock: hypothesis draws in-process and over HTTP, strict mode, the rate
limit, a schemathesis run over the OpenAPI document, and the state machine. Example counts come
from the hypothesis profile (``fast`` by default, ``--hypothesis-profile=thorough`` for more).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contract_tests.server.draws import check_invalid_requests, check_valid_requests
from contract_tests.server.machine import check_state_machine
from contract_tests.server.openapi_run import check_openapi_conformance
from contract_tests.server.rate import check_rate_limit
from contract_tests.server.targets import Target, conformance_settings, in_process, over_http

MACHINE_RATE_LIMIT = 5
"""Low enough that a run of steps reaches 429 often; the documented 15 is checked by the rate test."""


@pytest.fixture(scope="module", params=["in-process", "over-http"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    with (in_process if request.param == "in-process" else over_http)() as mock:
        yield mock


def test_valid_requests_complete_as_documented(target: Target) -> None:
    check_valid_requests(target)


def test_invalid_requests_get_their_status_and_code(target: Target) -> None:
    check_invalid_requests(target)


def test_strict_mode_rejects_warnings_too() -> None:
    with in_process(conformance_settings(strict=True)) as mock:
        check_invalid_requests(mock)


def test_rate_limit_is_fifteen_a_minute_per_user(target: Target) -> None:
    check_rate_limit(target)


def test_openapi_document_matches_every_answer() -> None:
    check_openapi_conformance()


def test_state_machine_keeps_every_invariant() -> None:
    with in_process(conformance_settings(rate_limit=MACHINE_RATE_LIMIT)) as mock:
        check_state_machine(mock)
