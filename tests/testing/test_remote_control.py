"""``RemoteControl`` drives a live server over HTTP exactly as ``MockControl`` drives it in-process."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import httpx
import pytest

from mock_server import Settings
from mock_server.testing import ControlError, LiveServer, MockControl, RemoteControl

TOKEN = "remote-user"
JOB = {"prompt": "a red bicycle", "size": "1K"}
SHARED = (
    "reset",
    "set_account",
    "account",
    "advance",
    "set_clock",
    "now",
    "journal",
    "fail_next",
    "clear_faults",
    "notifications",
    "deliveries",
)


@pytest.fixture(scope="module")
def server(mock_store: str) -> Iterator[LiveServer]:
    with LiveServer(Settings(clock="manual", latency=1.0, seed=11)) as live:
        yield live


@pytest.fixture
def remote(server: LiveServer) -> Iterator[RemoteControl]:
    with RemoteControl(server.url) as control:
        control.reset()
        yield control


def edit(server: LiveServer, token: str = TOKEN) -> httpx.Response:
    return httpx.post(f"{server.url}/edit-chat", json=JOB, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("name", SHARED)
def test_the_same_methods_and_signatures_as_mock_control(name: str) -> None:
    assert inspect.signature(getattr(RemoteControl, name)) == inspect.signature(getattr(MockControl, name))


def test_accounts_are_set_and_read_back(remote: RemoteControl) -> None:
    view = remote.set_account(TOKEN, plan="free", credits=7, identities=["Me"])
    assert (view["plan"], view["credits"]) == ("free", 7)
    again = remote.account(TOKEN)
    assert again is not None and again["credits"] == 7 and [i["name"] for i in again["identities"]] == ["Me"]
    assert remote.account("nobody") is None


def test_a_job_completes_on_advance_with_the_manual_clock(server: LiveServer, remote: RemoteControl) -> None:
    remote.set_account(TOKEN, credits=10)
    job_id = edit(server).raise_for_status().json()["job_id"]
    before = remote.now()
    assert [n["name"] for n in remote.notifications(TOKEN)] == ["batch_edit"]
    ran = remote.advance(1.0)
    assert ran["ran"] == 1 and remote.now() == pytest.approx(before + 1.0)
    finals = [(n["name"], n["data"]["status"]) for n in remote.notifications(TOKEN)[1:]]
    assert finals == [("image_result", "completed"), ("batch_edit", "completed")]
    results = httpx.get(f"{server.url}/jobs/{job_id}/results", headers={"Authorization": f"Bearer {TOKEN}"})
    assert [r["status"] for r in results.json()["results"]] == ["completed"]
    account = remote.account(TOKEN)
    assert (
        account is not None
        and account["in_progress_credits"] == 0
        and account["charged_credits"] == 10 - account["credits"] > 0
    )


def test_a_fault_rule_answers_once_then_clears(server: LiveServer, remote: RemoteControl) -> None:
    rule = remote.fail_next(503)
    assert rule["status"] == 503 and rule["times"] == 1
    assert edit(server).status_code == 503
    assert edit(server).status_code == 202
    remote.fail_next(500, times=None)
    remote.clear_faults()
    assert edit(server).status_code == 202


def test_the_journal_records_each_request_and_filters_by_user(server: LiveServer, remote: RemoteControl) -> None:
    edit(server, "first")
    edit(server, "second")
    entries = remote.journal(user="second")
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [("POST", "/edit-chat", 202)]
    masked = {e["user"] for e in remote.journal(path="/edit-chat")}
    assert len(masked) == 2 and "first" not in masked and all(u.endswith("…") for u in masked), (
        "over HTTP the journal masks bearer tokens to a short prefix"
    )


def test_reset_forgets_every_user_job_and_request(server: LiveServer, remote: RemoteControl) -> None:
    remote.set_account(TOKEN, credits=3)
    edit(server)
    remote.reset()
    assert remote.account(TOKEN) is None and remote.journal() == [] and remote.notifications() == []


def test_a_refused_call_raises_control_error_naming_the_field(remote: RemoteControl) -> None:
    with pytest.raises(ControlError, match="plan") as refused:
        remote.set_account(TOKEN, plan="platinum")
    assert refused.value.status == 400
    with pytest.raises(ValueError, match="'real' or 'manual'"):
        remote.set_clock("sundial")


def test_clock_mode_switches_over_http(remote: RemoteControl) -> None:
    remote.set_clock("real")
    remote.set_clock("manual")
    assert remote.advance(0.5)["ran"] == 0


def test_a_control_token_guards_the_remote_calls() -> None:
    with LiveServer(Settings(clock="manual", control_token="s3cret")) as guarded:
        with RemoteControl(guarded.url) as anonymous, pytest.raises(ControlError) as refused:
            anonymous.account(TOKEN)
        assert refused.value.status in (401, 403)
        with RemoteControl(guarded.url, control_token="s3cret") as allowed:
            assert allowed.set_account(TOKEN, credits=1)["credits"] == 1
