"""``Backend`` used directly (no HTTP): what tests and the control API rely on."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mock_support import USERS_FILE, json_values

from mock_server import ApiError, Backend, Settings
from mock_server.backend.accounts import User, load_users_file
from mock_server.backend.journal import _body_text
from piktid_spec.validate import validate_and_read

BASE = "http://mock.test"


@pytest.fixture
def backend() -> Backend:
    return Backend(Settings(clock="manual", seed=1, latency=1), fresh=True)


def test_open_mode_accepts_spec_warnings_and_reports_them(backend: Backend) -> None:
    user = backend.authenticate("tok")
    accepted = backend.edit_chat(user, {"prompt": "x", "size": "1K", "colour": "red"}, BASE)
    assert accepted.body["status"] == "processing"
    assert [(w.code, w.field) for w in accepted.warnings] == [("unknown_field", "colour")]


def test_advance_runs_due_completions_and_reports_what_is_left(backend: Backend) -> None:
    user = backend.authenticate("tok")
    job_id = backend.edit_chat(user, {"prompt": "x", "size": "1K", "num_variations": 3}, BASE).body["job_id"]
    report = backend.advance(2)
    assert (report["ran"], report["pending"]) == (2, 1)
    assert [r["status"] for r in backend.results(user, job_id)["results"]] == ["completed", "completed", "processing"]


def test_finishing_a_variation_twice_charges_it_once(backend: Backend) -> None:
    user = backend.authenticate("tok")
    job_id = backend.edit_chat(user, {"prompt": "x", "size": "2K"}, BASE).body["job_id"]
    for _ in range(2):
        backend._finish(job_id, 0, 0)  # the state's own unit test: a completion claimed twice
    account = backend.account("tok")
    assert account is not None and (account["credits"], account["in_progress_credits"]) == (995, 0)


def test_reset_forgets_jobs_and_users(backend: Backend) -> None:
    user = backend.authenticate("tok")
    job_id = backend.edit_chat(user, {"prompt": "x", "size": "1K"}, BASE).body["job_id"]
    backend.reset(1)
    with pytest.raises(ApiError) as missing:
        backend.results(backend.authenticate("tok"), job_id)
    assert missing.value.status == 404
    assert backend.pending_work() == 0


def test_set_account_refuses_an_unknown_plan(backend: Backend) -> None:
    with pytest.raises(ApiError) as refused:
        backend.set_account("tok", plan="platinum")
    assert (refused.value.status, refused.value.body()["detail"][0]["field"]) == (400, "plan")


def test_a_users_file_is_checked_with_errors_that_name_the_entry(tmp_path: Path) -> None:
    assert [u["plan"] for u in load_users_file(USERS_FILE)] == ["free", "paid", "pro", "paid"]
    for content, words in (
        ({"users": [{"plan": "pro"}]}, "users[0] needs a non-empty string token"),
        ({"users": [{"token": "t", "plan": "gold"}]}, "users[0].plan"),
        ([], "expected"),
        ({"users": [{"token": "t", "credits": "x"}]}, "users[0].credits"),
        ({"users": [{"token": "t", "identities": ["a"]}]}, "users[0].identities"),
    ):
        path = tmp_path / "users.json"
        path.write_text(json.dumps(content))
        with pytest.raises(ValueError, match=re.escape(words)):
            load_users_file(path)


@pytest.mark.parametrize("key", ["", "k", "k" * 63, "k" * 64, "k" * 65, "é" * 40, "s3cr3t" * 30])
def test_the_signer_is_hmac_sha256(key: str) -> None:
    """``Signer`` prepares the HMAC states itself (hot path): its signatures are ``hmac.new``'s, for any key length."""
    import hashlib
    import hmac

    from mock_server.backend.signing import Signer

    signer = Signer(key)
    for parts in [("GET", "outputs", "job_1", "0-1-full"), ("PUT", "f", "image/png", "20231114T221320Z", "900"), ("",)]:
        text = "\n".join(parts)
        expected = hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest()
        assert signer.sign(*parts) == signer.sign_text(text) == expected
        assert signer.token(*parts) == expected[:32] and signer.check_token(expected[:32], *parts)


_JSON_VALUES = json_values()


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON_VALUES | st.sampled_from([float("nan"), [float("inf"), None], {"n": float("-inf")}]), st.integers(0, 200))
def test_journal_body_text_is_the_stdlibs(body: Any, max_body: int) -> None:
    """The journal's body text comes from orjson where it can: the same text, cut and size as ``json.dumps``."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    data = text.encode()
    cut = len(data) > max_body
    expected = (data[:max_body].decode(errors="ignore") if cut else text, cut, len(data))
    assert _body_text(body, max_body) == expected


def test_a_request_follows_a_clock_another_process_advanced(request: pytest.FixtureRequest) -> None:
    """Two backends on one Redis and no runtime feed: ``follow_clock`` (run as each API request starts)
    is what brings the other's ``advance`` here."""
    settings = Settings(clock="manual", seed=1, store=request.getfixturevalue("redis_url"), store_prefix="follow:")
    there = Backend(settings, fresh=True)
    here = Backend(settings)
    here.follow_clock()
    there.advance(90)
    assert here.clock()["now"] != there.clock()["now"]
    here.follow_clock()
    assert here.clock() == there.clock()


_PAYLOADS = st.fixed_dictionaries(
    {},
    optional={
        "prompt": st.sampled_from(["x", ""]),
        "size": st.sampled_from(["1K", "2K", "4K", "8K"]),
        "output_mode": st.sampled_from(["auto", "custom", "ratio"]),
        "width": st.sampled_from([512, 1024]),
        "height": st.sampled_from([512, 4096]),
    },
)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["free", "paid", "pro"]),
    st.none() | st.frozensets(st.sampled_from(["OUTPUT_CUSTOM_DIMENSIONS", "OTHER"])),
    st.floats(0, 1e6),
    _PAYLOADS,
)
def test_validation_judges_a_plan_account_as_the_users_own(
    plan: str, entitlements: frozenset[str] | None, credits: float, payload: dict[str, Any]
) -> None:
    """``User.plan_account`` (made once per plan and entitlements) gives validation's answer of ``account()``."""
    user = User("tok", plan, credits, entitlements)
    assert validate_and_read(payload, account=user.plan_account()) == validate_and_read(payload, account=user.account())


def _two_workers(request: pytest.FixtureRequest, prefix: str, **options: Any) -> tuple[Backend, Backend]:
    """Two backends on one Redis store (two workers of one mock), the first setting it up."""
    chosen = Settings(store=request.getfixturevalue("redis_url"), store_prefix=prefix, seed=1, **options)
    return Backend(chosen, fresh=True), Backend(chosen)


def _edit(backend: Backend, token: str, payload: dict[str, Any]) -> int:
    """A ``POST /edit-chat`` as the endpoint makes it (the user as ``get_account`` answers it): its status."""
    try:
        backend.edit_chat(backend.authenticate(token, account_only=True), payload, BASE)
    except ApiError as error:
        return error.status
    return 202


@pytest.mark.memory_only
def test_a_plan_changed_by_another_worker_decides_the_next_request_here(request: pytest.FixtureRequest) -> None:
    """A worker answers a request on the copy of the user it kept, confirmed by the admission: after
    another worker changed the plan (or the entitlements), the next request here is decided on the
    changed user every time, whether the change allows it (202, the admission found the copy stale) or
    refuses it (403, confirmed on a fresh read before it is answered)."""
    there, here = _two_workers(request, "kept-plan:", rate_limit=1000)
    custom = {"prompt": "x", "size": "1K", "output_mode": "custom", "width": 1200, "height": 800}
    for round_ in range(40):
        plan = ("free", "paid")[round_ % 2]
        there.set_account("tok", plan=plan, entitlements=[])
        assert _edit(here, "tok", {"prompt": "x", "size": "2K"}) == (403 if plan == "free" else 202), round_
        there.set_account("tok", entitlements=[] if round_ % 2 else ["OUTPUT_CUSTOM_DIMENSIONS"])
        assert _edit(here, "tok", custom) == (403 if round_ % 2 else 202), round_
    account = there.account("tok")
    assert account is not None and account["in_progress_credits"] == 20 * 5 + 20 * 3  # 20 of each accepted


@pytest.mark.memory_only
def test_a_token_reset_away_by_another_worker_is_401_here_in_strict_mode(request: pytest.FixtureRequest) -> None:
    """A user this worker kept a copy of, removed by a reset another worker made, is unknown here at once
    (strict mode: 401, nothing counted or stored); added again with another plan, it is that plan."""
    there, here = _two_workers(request, "kept-reset:", strict=True)
    there.set_account("tok", plan="paid")
    assert _edit(here, "tok", {"prompt": "x", "size": "2K"}) == 202
    there.reset()
    assert _edit(here, "tok", {"prompt": "x", "size": "2K"}) == 401
    assert _edit(here, "tok", {"prompt": "x", "size": "1K"}) == 401
    there.set_account("tok", plan="free")
    assert _edit(here, "tok", {"prompt": "x", "size": "2K"}) == 403
    assert _edit(here, "tok", {"prompt": "x", "size": "1K"}) == 202
    account = there.account("tok")
    assert account is not None and account["in_progress_credits"] == 3


@pytest.mark.memory_only
def test_a_token_reset_away_by_another_worker_is_a_new_user_here_in_open_mode(request: pytest.FixtureRequest) -> None:
    """Open mode: a token this worker kept on the free plan, removed by another worker's reset, is created
    again on first use with the open plan, as on a worker that never saw it: its 2K request is accepted
    (not refused on the old copy's plan) and reserves on the new account alone."""
    there, here = _two_workers(request, "kept-open:")
    there.set_account("tok", plan="free")
    assert _edit(here, "tok", {"prompt": "x", "size": "2K"}) == 403
    assert _edit(here, "tok", {"prompt": "x", "size": "1K"}) == 202
    there.reset()
    assert _edit(here, "tok", {"prompt": "x", "size": "2K"}) == 202
    account = there.account("tok")
    assert account is not None and (account["plan"], account["in_progress_credits"]) == ("pro", 5)
