"""Server conformance, run small: the mock passes, and a mock that breaks a documented rule does not.

Each break below is a mock with one bug (an operation of its store replaced, or a setting other than
the one the kit is told); the kit must notice it without being told what changed, which is what shows
its checks are about the spec, not about the mock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from hypothesis import Phase, settings

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
from mock_server.backend.jobs import Job
from mock_server.settings import Settings
from mock_server.store import MemoryStore, Store
from mock_server.testing import LiveServer

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


class BrokenStore(MemoryStore):
    """A memory store with some operations replaced, each by ``broken(store, *args)`` where ``store`` is the
    memory store's own operations: what a mock with that bug would store. The mock is the real one; the
    break is in its state, so the kit must notice it from the answers alone, as it would in any server.
    The replacement is a method of a subclass, so the store's other operations reach it too (a plain
    ``/edit-chat``'s one-step admission calls ``start_generation``)."""

    def __new__(cls, **broken: Callable[..., Any]) -> BrokenStore:
        methods = {name: _replaced(name, how) for name, how in broken.items()}
        return super().__new__(type("BrokenStore", (cls,), methods))

    def __init__(self, **broken: Callable[..., Any]) -> None:
        super().__init__()


def _replaced(name: str, how: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: BrokenStore, *args: Any, **kwargs: Any) -> Any:
        return how(super(BrokenStore, self), *args, **kwargs)

    method.__name__ = name
    return method


@contextmanager
def served(settings: Settings, store: Any) -> Iterator[Target]:
    """The mock over HTTP on ``store``, tested under ``settings``."""
    with LiveServer(settings, store=store) as server, httpx.Client(base_url=server.url, timeout=30.0) as client:
        yield Target("broken", client, server.control, settings)


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


def test_a_wrong_price_is_caught(no_shrinking: None) -> None:
    def overcharge(store: Store, token: str, amount: float, *, charge: bool, notifications: list[Any]) -> Any:
        return store.settle_and_notify(token, amount + (1 if charge else 0), charge=charge, notifications=notifications)

    with (
        served(conformance_settings(), BrokenStore(settle_and_notify=overcharge)) as mock,
        pytest.raises(ContractViolation, match="credits_conserved"),
    ):
        check_valid_requests(mock, max_examples=EXAMPLES)


def test_a_wrong_output_size_is_caught(no_shrinking: None) -> None:
    def transposed(store: Store, job: Job, works: list[Any], notification: Any, *, new: bool) -> Any:
        job.generations[-1].size = job.generations[-1].size[::-1]
        return store.start_generation(job, works, notification, new=new)

    with (
        served(conformance_settings(), BrokenStore(start_generation=transposed)) as mock,
        pytest.raises(ContractViolation, match="results_match_request"),
    ):
        check_valid_requests(mock, max_examples=EXAMPLES)


def test_a_lenient_strict_mode_is_caught(no_shrinking: None) -> None:
    """A mock that says it is strict but accepts what only warns (it runs lenient)."""
    with (
        in_process(conformance_settings(strict=False)) as lenient,
        pytest.raises(ContractViolation, match="rejected_as_documented"),
    ):
        told_strict = dataclasses.replace(lenient, settings=conformance_settings(strict=True))
        check_invalid_requests(told_strict, max_examples=EXAMPLES * 2)


def test_a_missing_rate_limit_is_caught(no_shrinking: None) -> None:
    """A mock that does not hold the documented limit (its own is a billion a minute)."""
    with (
        in_process(conformance_settings(rate_limit=10**9)) as unlimited,
        pytest.raises(ContractViolation, match="429 rate_limited"),
    ):
        check_rate_limit(unlimited)


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


def test_a_leaked_reservation_is_caught(no_shrinking: None) -> None:
    with (
        served(conformance_settings(rate_limit=5), BrokenStore(settle_and_notify=keep_reservation)) as mock,
        pytest.raises(ContractViolation, match="reservations_settled"),
    ):
        check_state_machine(mock, max_examples=40, steps=30)
