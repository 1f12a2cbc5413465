"""Credits: reserve at start, charge per completed variation, release failed ones, 402 with all three numbers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from mock_support import Env

from mock_server import Settings
from mock_server.backend import credits
from mock_server.backend.accounts import User
from mock_server.backend.clock import Clock
from mock_server.backend.errors import ApiError
from mock_server.backend.rate_limit import RateLimiter
from mock_server.store import MemoryStore
from piktid_spec import CREDITS_PER_IMAGE

pytestmark = pytest.mark.anyio


def balance(env: Env) -> tuple[float, float]:
    account = env.control.account(env.token)
    assert account is not None
    return account["credits"], account["in_progress_credits"]


async def test_credits_are_reserved_at_start_and_charged_per_completed_variation(
    make_env: Callable[..., Awaitable[Env]],
) -> None:
    api = await make_env(Settings(clock="manual", seed=1, latency=2))
    job_id = await api.start({"prompt": "x", "size": "2K", "num_variations": 2})
    assert balance(api) == (1000, 2 * CREDITS_PER_IMAGE["2K"])
    api.advance(2)
    assert balance(api) == (1000 - CREDITS_PER_IMAGE["2K"], CREDITS_PER_IMAGE["2K"])
    api.advance(2)
    assert balance(api) == (1000 - 2 * CREDITS_PER_IMAGE["2K"], 0)
    assert (await api.results(job_id))["credits_used"] == 2 * CREDITS_PER_IMAGE["2K"]


async def test_failed_variations_are_released_not_charged(env: Env) -> None:
    job_id = await env.start({"prompt": "x", "size": "4K", "num_variations": 3}, headers={"X-Mock-Scenario": "failed"})
    assert balance(env) == (1000, 3 * CREDITS_PER_IMAGE["4K"])
    env.advance(1)
    assert balance(env) == (1000, 0)
    results = await env.results(job_id)
    assert [r["status"] for r in results["results"]] == ["failed"] * 3
    assert all(r["error_message"] for r in results["results"])
    assert results["credits_used"] == 0 and results["summary"]["failed"] == 3


async def test_an_unknown_scenario_header_is_400(env: Env) -> None:
    response = await env.edit({"prompt": "x", "size": "1K"}, headers={"X-Mock-Scenario": "explode"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_parameter"


async def test_402_when_credits_minus_in_progress_is_below_the_price(env: Env) -> None:
    env.control.set_account(env.token, credits=12)
    await env.start({"prompt": "x", "size": "2K", "num_variations": 2})
    response = await env.edit({"prompt": "x", "size": "1K"})
    assert response.status_code == 402
    body = response.json()
    env.check(body, "InsufficientCredits")
    assert body["code"] == "insufficient_credits"
    assert (body["required_credits"], body["in_progress_credits"], body["user_credits"]) == (3, 10, 12)
    assert balance(env) == (12, 10)


async def test_a_request_costing_exactly_what_is_free_is_accepted(env: Env) -> None:
    env.control.set_account(env.token, credits=13)
    await env.start({"prompt": "x", "size": "2K", "num_variations": 2})
    assert (await env.edit({"prompt": "x", "size": "1K"})).status_code == 202
    assert (await env.edit({"prompt": "x", "size": "1K"})).status_code == 402
    env.advance(1)
    assert balance(env) == (0, 0)


async def test_released_credits_can_be_spent_again(env: Env) -> None:
    env.control.set_account(env.token, credits=5)
    await env.start({"prompt": "x", "size": "2K"}, headers={"X-Mock-Scenario": "failed"})
    assert (await env.edit({"prompt": "x", "size": "2K"})).status_code == 402
    env.advance(1)
    assert (await env.edit({"prompt": "x", "size": "2K"})).status_code == 202


def test_an_account_removed_while_a_request_ran_is_a_401_not_a_500() -> None:
    """The request authenticated its token, then a reset (or a flushed Redis) removed the account before
    its reservation: the token is unknown now, so the answer is the 401 it would get next time."""
    store = MemoryStore()
    limiter = RateLimiter(Clock("manual"), 15, 60, store)
    for reserve in (
        lambda: credits.reserve(store, "gone", 5),
        lambda: limiter.hit_and_reserve("gone", 5),
    ):
        with pytest.raises(ApiError) as refused:
            reserve()
        assert refused.value.status == 401 and "removed while the request ran" in refused.value.body()["error"]


def test_the_ledger_functions_keep_credits_conserved() -> None:
    store, user = MemoryStore(), User("t", "pro", 20)
    store.put_user(user)
    credits.reserve(store, "t", 15)
    with pytest.raises(ApiError) as refused:
        credits.reserve(store, "t", 6)
    assert refused.value.status == 402
    assert refused.value.body() == {
        "error": "Insufficient credits",
        "code": "insufficient_credits",
        "required_credits": 6.0,
        "in_progress_credits": 15.0,
        "user_credits": 20.0,
    }
    credits.charge(store, "t", 10)
    credits.release(store, "t", 5)
    assert (user.credits, user.in_progress, user.charged) == (10, 0, 10)
