"""Authentication: Bearer tokens on every API route, open mode, strict mode with a users file."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
import requests
from mock_support import USERS_FILE, Env, asgi_client, shape_errors

from mock_server import Backend, Settings
from mock_server.testing import LiveServer

pytestmark = pytest.mark.anyio

API_ROUTES = [
    ("POST", "/upload"),
    ("POST", "/edit-chat"),
    ("GET", "/jobs/job_1/status"),
    ("GET", "/jobs/job_1/results"),
    ("GET", "/identity"),
    ("GET", "/identity/default-pro-xxxxxxxx"),
    ("POST", "/identity/upload"),
    ("POST", "/notifications"),
    ("GET", "/notifications/events"),
    ("DELETE", "/notifications/1"),
    ("PUT", "/webhooks"),
    ("GET", "/webhooks"),
    ("DELETE", "/webhooks"),
    ("POST", "/webhooks/test"),
]
BAD_HEADERS = [
    {},
    {"Authorization": "tok-alice"},
    {"Authorization": "Basic dXNlcjpwdw=="},
    {"Authorization": "Bearer"},
    {"Authorization": "Token tok-alice"},
]


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
async def test_every_api_route_answers_401_without_a_bearer_token(env: Env, method: str, path: str) -> None:
    for headers in BAD_HEADERS:
        response = await env.client.request(method, path, headers=headers, json={"prompt": "x"})
        assert response.status_code == 401, (headers, response.text)
        body = response.json()
        env.check(body, "Error")
        assert body["code"] == "unauthorized"


async def test_open_mode_makes_any_token_a_pro_user_with_1000_credits(env: Env) -> None:
    assert env.control.account("tok-new") is None
    assert (await env.edit({"prompt": "x", "size": "4K"}, token="tok-new")).status_code == 202
    account = env.control.account("tok-new")
    assert account is not None and (account["plan"], account["credits"]) == ("pro", 1000)


async def test_the_open_plan_and_credits_are_settings(make_env: Callable[..., Awaitable[Env]]) -> None:
    api = await make_env(open_plan="free", open_credits=4)
    assert (await api.edit({"prompt": "x", "size": "2K"})).status_code == 403
    assert (await api.edit({"prompt": "x", "size": "1K"})).status_code == 202
    assert (await api.edit({"prompt": "x", "size": "1K"})).status_code == 402


@pytest.fixture
async def strict(make_env: Callable[..., Awaitable[Env]]) -> Env:
    return await make_env(Settings(clock="manual", seed=1, strict=True, users_file=str(USERS_FILE)))


async def test_strict_mode_accepts_only_tokens_of_the_users_file(strict: Env) -> None:
    unknown = await strict.edit({"prompt": "x", "size": "1K"}, token="tok-alice")
    assert unknown.status_code == 401 and unknown.json()["code"] == "unauthorized"
    assert (await strict.edit({"prompt": "x", "size": "1K"}, token="tok_pro_0123456789abcdef")).status_code == 202


async def test_users_file_entries_get_their_plan_credits_and_identities(strict: Env) -> None:
    assert (await strict.edit({"prompt": "x", "size": "2K"}, token="tok_free_0123456789abcdef")).status_code == 403
    broke = await strict.edit({"prompt": "x", "size": "1K"}, token="tok_broke_0123456789abcdef")
    assert broke.status_code == 402 and broke.json()["user_credits"] == 0
    listing = await strict.client.get("/identity?ownership=mine", headers=strict.auth("tok_pro_0123456789abcdef"))
    assert sorted(i["name"] for i in listing.json()["identities"]) == ["Studio model A", "Studio model B"]


async def test_strict_mode_rejects_spec_warnings_that_open_mode_accepts(
    strict: Env, make_env: Callable[..., Awaitable[Env]]
) -> None:
    typo = {"prompt": "x", "size": "1K", "num_variation": 2}
    rejected = await strict.edit(typo, token="tok_pro_0123456789abcdef")
    assert rejected.status_code == 400
    detail = rejected.json()["detail"]
    assert [(d["field"], d["code"], d["position"]) for d in detail] == [("num_variation", "unknown_field", "body")]
    assert (await (await make_env()).edit(typo)).status_code == 202


async def test_without_strict_a_users_file_only_precreates_users(make_env: Callable[..., Awaitable[Env]]) -> None:
    api = await make_env(users_file=str(USERS_FILE))
    assert (await api.edit({"prompt": "x", "size": "2K"}, token="tok_free_0123456789abcdef")).status_code == 403
    assert (await api.edit({"prompt": "x", "size": "2K"}, token="anyone")).status_code == 202


def test_strict_mode_over_real_http() -> None:
    with LiveServer(Settings(clock="manual", seed=1, strict=True, users_file=str(USERS_FILE))) as server:
        payload = {"prompt": "x", "size": "1K"}
        unknown = requests.post(server.url + "/edit-chat", headers={"Authorization": "Bearer nobody"}, json=payload)
        assert unknown.status_code == 401
        assert not shape_errors(unknown.json(), "Error")
        known = requests.post(
            server.url + "/edit-chat", json=payload, headers={"Authorization": "Bearer tok_paid_0123456789abcdef"}
        )
        assert known.status_code == 202


@pytest.mark.memory_only
@pytest.mark.parametrize(
    ("headers", "body"),
    [({}, b"{not json"), ({"X-Mock-Scenario": "no-such-outcome"}, b'{"prompt": "x"}')],
    ids=["bad-json", "bad-scenario"],
)
async def test_a_token_reset_away_elsewhere_is_401_over_http_before_the_body_is_judged(
    request: pytest.FixtureRequest, headers: dict[str, str], body: bytes
) -> None:
    """Strict mode, over HTTP: a request this worker would refuse before the backend (bad JSON, a bad
    ``X-Mock-Scenario``) with a token it kept a copy of and another worker reset away is 401, as on a
    worker that never saw the token, not the 400 its stale copy would give."""
    chosen = Settings(store=request.getfixturevalue("redis_url"), store_prefix="kept-edge:", strict=True)
    there, here = Backend(chosen, fresh=True), Backend(chosen)
    there.set_account("tok", plan="paid")
    async with asgi_client(here) as client:
        auth = {"Authorization": "Bearer tok"}
        assert (await client.post("/edit-chat", json={"prompt": "x"}, headers=auth)).status_code == 202
        assert (await client.post("/edit-chat", content=body, headers={**auth, **headers})).status_code == 400
        there.reset()
        assert (await client.post("/edit-chat", content=body, headers={**auth, **headers})).status_code == 401
