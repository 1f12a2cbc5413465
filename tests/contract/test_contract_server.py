"""Server conformance, run small: the mock passes, and a mock that breaks a documented rule does not.

Each break below is a one-line monkeypatch of the in-process mock; the kit must notice it without
being told what changed, which is what shows its checks are about the spec, not about the mock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import Phase, settings

import mock_server.backend.credits as ledger
import mock_server.backend.service as service
from contract_tests import ContractViolation
from contract_tests.server import (
    Target,
    check_invalid_requests,
    check_openapi_conformance,
    check_rate_limit,
    check_state_machine,
    check_valid_requests,
    conformance_settings,
    in_process,
    over_http,
)
from mock_server.backend.rate_limit import RateLimiter
from mock_server.store import Store

EXAMPLES = 25


@pytest.fixture(scope="module", params=["in-process", "over-http"])
def target(request: pytest.FixtureRequest, mock_store: str) -> Iterator[Target]:
    with (in_process if request.param == "in-process" else over_http)() as mock:
        yield mock


@pytest.fixture
def local() -> Iterator[Target]:
    with in_process() as mock:
        yield mock


@pytest.fixture
def no_shrinking() -> Iterator[None]:
    """A broken mock fails fast: generate only (no shrinking, no example database); the previous
    profile is restored after."""
    previous = settings.get_current_profile_name()
    settings.register_profile(
        "contract-mutations", parent=settings.get_profile(previous), phases=[Phase.generate], database=None
    )
    settings.load_profile("contract-mutations")
    yield
    settings.load_profile(previous)


def test_valid_requests_are_accepted_and_complete_as_documented(target: Target) -> None:
    check_valid_requests(target, max_examples=EXAMPLES)


def test_invalid_requests_get_their_rules_status_and_code(target: Target) -> None:
    check_invalid_requests(target, max_examples=EXAMPLES)


def test_strict_mode_rejects_warnings_with_400() -> None:
    with in_process(conformance_settings(strict=True)) as mock:
        check_invalid_requests(mock, max_examples=EXAMPLES)


def test_rate_limit_holds(target: Target) -> None:
    check_rate_limit(target)


def test_every_answer_matches_the_openapi_document() -> None:
    check_openapi_conformance(max_examples=40)


def test_state_machine_invariants_hold() -> None:
    with in_process(conformance_settings(rate_limit=5)) as mock:
        check_state_machine(mock, max_examples=4, steps=30)


def test_a_wrong_price_is_caught(local: Target, monkeypatch: pytest.MonkeyPatch, no_shrinking: None) -> None:
    settle = ledger.settle

    def overcharge(store: Store, token: str, amount: float, *, charge: bool, notifications: list[Any]) -> Any:
        return settle(store, token, amount + (1 if charge else 0), charge=charge, notifications=notifications)

    monkeypatch.setattr(ledger, "settle", overcharge)
    with pytest.raises(ContractViolation, match="credits_conserved"):
        check_valid_requests(local, max_examples=EXAMPLES)


def test_a_wrong_output_size_is_caught(local: Target, monkeypatch: pytest.MonkeyPatch, no_shrinking: None) -> None:
    size = service.output_size
    monkeypatch.setattr(service, "output_size", lambda request, given=None: size(request, given)[::-1])
    with pytest.raises(ContractViolation, match="results_match_request"):
        check_valid_requests(local, max_examples=EXAMPLES)


def test_a_lenient_strict_mode_is_caught(monkeypatch: pytest.MonkeyPatch, no_shrinking: None) -> None:
    rejection = service.rejection
    monkeypatch.setattr(service, "rejection", lambda violations, strict=False: rejection(violations))
    with (
        in_process(conformance_settings(strict=True)) as mock,
        pytest.raises(ContractViolation, match="rejected_as_documented"),
    ):
        check_invalid_requests(mock, max_examples=EXAMPLES * 2)


def test_a_missing_rate_limit_is_caught(local: Target, monkeypatch: pytest.MonkeyPatch, no_shrinking: None) -> None:
    monkeypatch.setattr(RateLimiter, "hit", lambda self, key: None)
    monkeypatch.setattr(
        RateLimiter, "hit_and_reserve", lambda self, key, amount: ledger.reserve(self.store, key, amount)
    )

    def start_unlimited(self: RateLimiter, key: str, amount: float, start: Any) -> Any:
        ledger.reserve(self.store, key, amount)
        return self.store.start_generation(*start, new=True)

    monkeypatch.setattr(RateLimiter, "hit_reserve_and_start", start_unlimited)
    with pytest.raises(ContractViolation, match="429 rate_limited"):
        check_rate_limit(local)


def keep_reservation(store: Store, token: str, amount: float, *, charge: bool, notifications: list[Any]) -> Any:
    """Charges a completed variation but forgets to release what it reserved."""
    if not charge:
        return store.settle_and_notify(token, amount, charge=False, notifications=notifications)
    user = store.get_user(token)
    assert user is not None
    user.credits -= amount
    user.charged += amount
    store.put_user(user)
    return store.settle_and_notify(token, 0.0, charge=False, notifications=notifications)


def test_a_leaked_reservation_is_caught(monkeypatch: pytest.MonkeyPatch, no_shrinking: None) -> None:
    monkeypatch.setattr(ledger, "settle", keep_reservation)
    with (
        in_process(conformance_settings(rate_limit=5)) as mock,
        pytest.raises(ContractViolation, match="reservations_settled"),
    ):
        check_state_machine(mock, max_examples=40, steps=30)
