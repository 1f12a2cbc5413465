"""The /edit-chat rate limit: 15 requests per minute per user, a window that moves with the mock's clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from mock_support import OTHER, Env

from mock_server.backend.clock import Clock
from mock_server.backend.errors import ApiError
from mock_server.backend.rate_limit import RateLimiter
from mock_server.store import MemoryStore

pytestmark = pytest.mark.anyio

CHEAP = {"prompt": "x", "size": "1K"}


async def fill(env: Env, count: int, token: str | None = None) -> None:
    for _ in range(count):
        assert (await env.edit(CHEAP, token=token)).status_code == 202


async def test_the_16th_request_in_a_minute_is_429_with_retry_after(env: Env) -> None:
    await fill(env, 15)
    response = await env.edit(CHEAP)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    body = response.json()
    env.check(body, "Error")
    assert body["code"] == "rate_limited"


async def test_the_window_moves_with_the_manual_clock(env: Env) -> None:
    await fill(env, 5)
    env.advance(30)
    await fill(env, 10)
    limited = await env.edit(CHEAP)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "30"
    env.advance(29)
    assert (await env.edit(CHEAP)).headers["Retry-After"] == "1"
    env.advance(1)
    await fill(env, 5)
    assert (await env.edit(CHEAP)).status_code == 429


async def test_the_limit_is_per_user(env: Env) -> None:
    await fill(env, 15)
    assert (await env.edit(CHEAP)).status_code == 429
    await fill(env, 1, token=OTHER)


async def test_requests_rejected_by_validation_do_not_count(env: Env) -> None:
    for _ in range(20):
        assert (await env.edit({"size": "1K"})).status_code == 400
    await fill(env, 15)


async def test_the_limit_and_window_are_settings(make_env: Callable[..., Awaitable[Env]]) -> None:
    api = await make_env(rate_limit=2, rate_window=10)
    await fill(api, 2)
    assert (await api.edit(CHEAP)).headers["Retry-After"] == "10"
    api.advance(10)
    await fill(api, 2)


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    clock = Clock("manual")
    limiter = RateLimiter(clock, 1, 60, MemoryStore())
    limiter.hit("u")
    clock.shift(59.5)
    with pytest.raises(ApiError) as limited:
        limiter.hit("u")
    assert limited.value.headers == {"Retry-After": "1"}
