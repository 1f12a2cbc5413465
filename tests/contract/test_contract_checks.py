"""Each check passes on documented behaviour and reports a departure from it (on real mock data)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contract_tests import (
    Call,
    ContractViolation,
    credits_conserved,
    no_server_errors,
    no_unexpected_client_errors,
    notifications_consumed,
    one_notification_per_variation,
    rejected_as_documented,
    requests_valid,
    reservations_settled,
    results_agree_with_notifications,
    results_conform,
    surfaced_status,
    waited_for_final_results,
    waited_on_results_not_status,
    webhook_signature_verified,
)
from mock_server.testing import MockControl, mock_piktid
from mock_server.webhooks import sign, verify

BASE = "https://v2.api.piktid.com"
TOKEN = "checks"


@pytest.fixture
def mock() -> Iterator[tuple[MockControl, httpx.Client]]:
    with (
        mock_piktid(clock="manual", latency=1.0) as control,
        httpx.Client(base_url=BASE, headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):
        yield control, client


def start_job(client: httpx.Client, **fields: Any) -> str:
    response = client.post("/edit-chat", json={"prompt": "a red bicycle", "size": "1K", **fields})
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def finished(control: MockControl, client: httpx.Client, variations: int = 2) -> tuple[str, dict[str, Any]]:
    job = start_job(client, num_variations=variations)
    control.advance(variations)
    return job, client.get(f"/jobs/{job}/results").json()


def checks_of(findings: list[Any]) -> list[str]:
    return [f.check for f in findings]


def test_requests_valid_reports_a_warning_the_mock_accepted(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    start_job(client)
    assert requests_valid.find(control.journal()) == []
    start_job(client, num_variation=2)
    found = requests_valid.find(control.journal())
    assert checks_of(found) == ["requests_valid"]
    assert "unknown_field (warning)" in found[0].observed and "'num_variation'" in found[0].sent
    assert found[0].documented.startswith("inferred:")
    with pytest.raises(ContractViolation):
        requests_valid(control.journal())


def test_status_polling_is_reported_and_results_polling_is_not(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    job = start_job(client)
    client.get(f"/jobs/{job}/results")
    assert waited_on_results_not_status.find(control.journal()) == []
    client.get(f"/jobs/{job}/status")
    found = waited_on_results_not_status.find(control.journal())
    assert len(found) == 1 and f"/jobs/{job}/status" in found[0].sent
    assert "not a readiness signal" in found[0].documented


def test_client_errors_are_reported_unless_provoked(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    client.get("/jobs/job_unknown/results")
    assert no_unexpected_client_errors.find(control.journal(), {404}) == []
    found = no_unexpected_client_errors.find(control.journal())
    assert checks_of(found) == ["no_unexpected_client_errors"] and found[0].observed == "404 job_not_found"
    assert no_server_errors.find(control.journal()) == []


def test_server_errors_are_reported(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    control.fail_next(500)
    client.post("/edit-chat", json={"prompt": "x"})
    assert checks_of(no_server_errors.find(control.journal())) == ["no_server_errors"]


def test_undeleted_events_are_reported_only_for_a_client_that_read_them(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    job, _ = finished(control, client)
    assert notifications_consumed.find(control.journal(), control.notifications(TOKEN), {job}) == []
    events = client.post("/notifications", json={"id_task": job, "name_list": "image_result"}).json()
    found = notifications_consumed.find(control.journal(), control.notifications(TOKEN), {job})
    assert len(found) == len(events) == 2
    for event in events:
        assert client.delete(f"/notifications/{event['id']}").status_code == 200
    assert notifications_consumed.find(control.journal(), control.notifications(TOKEN), {job}) == []


def test_credits_and_reservations_follow_completions(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    control.set_account(TOKEN, credits=100)
    start_job(client, num_variations=2)
    account = control.account(TOKEN) or {}
    assert reservations_settled.find(account, reserved=6) == []
    assert checks_of(reservations_settled.find(account, reserved=0)) == ["reservations_settled"]
    control.advance(2)
    account = control.account(TOKEN) or {}
    assert credits_conserved.find(account, start=100, charged=6) == []
    assert reservations_settled.find(account, reserved=0) == []
    assert len(credits_conserved.find(account, start=100, charged=3)) == 2


def test_notifications_match_results_one_to_one(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    _, body = finished(control, client)
    notes = [n for n in control.notifications(TOKEN) if n["name"] == "image_result"]
    assert one_notification_per_variation.find(body["results"], notes) == []
    assert results_agree_with_notifications.find(body["results"], notes) == []
    assert len(one_notification_per_variation.find(body["results"], notes + notes[:1])) == 1
    assert len(one_notification_per_variation.find(body["results"], notes[1:])) == 1
    tampered = copy.deepcopy(notes)
    tampered[0]["data"]["output_link"] = "https://elsewhere.example/x.png"
    assert checks_of(results_agree_with_notifications.find(body["results"], tampered)) == [
        "results_agree_with_notifications"
    ]


def test_running_variations_have_no_notification(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    job = start_job(client, num_variations=3)
    control.advance(1)
    body = client.get(f"/jobs/{job}/results").json()
    assert [r["status"] for r in body["results"]] == ["completed", "processing", "processing"]
    assert one_notification_per_variation.find(body["results"], control.notifications(TOKEN)) == []


def test_results_shape_is_checked(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    _, body = finished(control, client)
    assert results_conform.find(body) == []
    broken = {k: v for k, v in body.items() if k != "results"}
    found = results_conform.find(broken)
    assert len(found) == 1 and "'results' is a required property" in found[0].observed


def test_rejections_need_the_catalogue_status_and_code(mock: tuple[MockControl, httpx.Client]) -> None:
    _, client = mock
    response = client.post("/edit-chat", json={"prompt": "x", "num_variations": 5})
    assert (
        rejected_as_documented.find("sent", response.status_code, response.json(), "num_variations_out_of_range") == []
    )
    found = rejected_as_documented.find("sent", response.status_code, response.json(), "missing_input")
    assert found and found[0].expected == "400 with code 'missing_input'"


class StatusError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(status_code)
        self.status_code = status_code


def test_surfaced_status_wants_the_exact_status_code() -> None:
    assert surfaced_status.find(Call("generate({})", error=StatusError(402)), 402) == []
    assert len(surfaced_status.find(Call("generate({})", error=StatusError(400)), 402)) == 1
    keyless = surfaced_status.find(Call("generate({})", error=KeyError("job_id")), 429)
    assert "no status_code attribute" in keyless[0].observed
    assert "did not return" in surfaced_status.find(Call("generate({})", timed_out=True, seconds=3), 429)[0].observed
    assert len(surfaced_status.find(Call("generate({})", value="job_1"), 429)) == 1


def test_wait_must_return_the_final_results_of_the_latest_generation(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    _, body = finished(control, client)
    items = body["results"]
    assert waited_for_final_results.find(Call("wait", value=items), items) == []
    running = [{**items[0], "status": "processing"}, items[1]]
    assert "status 'processing'" in waited_for_final_results.find(Call("wait", value=running), items)[0].observed
    stale = [{**i, "image_index": 1} for i in items]
    assert len(waited_for_final_results.find(Call("wait", value=items), stale)) == 1
    assert len(waited_for_final_results.find(Call("wait", value=items[:1]), items)) == 1
    assert len(waited_for_final_results.find(Call("wait", value="done"), items)) == 1
    assert len(waited_for_final_results.find(Call("wait", error=KeyError("name")), items)) == 1


def test_webhook_verification_must_reject_every_tampering() -> None:
    body, secret = b'{"id":1,"name":"ping","data":{}}', "s3cret"
    header = sign(secret, body)
    assert webhook_signature_verified.find(verify, secret, body, header) == []
    trusting = webhook_signature_verified.find(lambda *_: True, secret, body, header)
    assert len(trusting) == 4
    distrusting = webhook_signature_verified.find(lambda *_: False, secret, body, header)
    assert [f.sent for f in distrusting] == ["verify_webhook(...) on the real delivery"]

    def raises(*_: Any) -> bool:
        raise ValueError("bad signature")

    assert len(webhook_signature_verified.find(raises, secret, body, header)) == 1
