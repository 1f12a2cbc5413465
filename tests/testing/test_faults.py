"""Fault rules: each does what it says, to the requests it names, for as long as it says, and no more."""

from __future__ import annotations

import json

import httpx
import pytest
from httpx_sse import connect_sse
from jsonschema import Draft202012Validator

from mock_server.backend import FAULT_STATUS_CODES as STATUS_CODES
from mock_server.testing import mock_piktid, wait_until
from piktid_spec.shapes import resolved

JOB = {"prompt": "a red bicycle", "size": "1K"}
manual = pytest.mark.piktid_mock(clock="manual", latency=1)


def _results(api: httpx.Client, job_id: str) -> list[dict]:
    return api.get(f"/jobs/{job_id}/results").json()["results"]


@pytest.mark.parametrize("status", sorted(STATUS_CODES))
def test_a_status_rule_answers_its_documented_body_to_the_next_n_matching_requests_only(piktid_mock, api, status):
    piktid_mock.fail_next(status, times=2)
    assert api.post("/upload", json={}).status_code == 200  # another path: untouched, rule not consumed
    injected = [api.post("/edit-chat", json=JOB) for _ in range(2)]
    assert api.post("/edit-chat", json=JOB).status_code == 202

    schema = resolved("InsufficientCredits" if status == 402 else "Error")
    for response in injected:
        assert response.status_code == status
        assert response.json()["code"] == STATUS_CODES[status]
        assert not list(Draft202012Validator(schema).iter_errors(response.json()))
    if status == 429:
        assert all(r.headers["Retry-After"].isdigit() for r in injected)
    assert [e["status"] for e in piktid_mock.journal(path="/edit-chat")] == [status, status, 202]
    assert piktid_mock.backend.counts()["jobs"] == 1


def test_a_status_rule_for_one_user_leaves_the_others_alone(piktid_mock, api):
    piktid_mock.fail_next(503, token="someone-else")
    assert api.post("/edit-chat", json=JOB).status_code == 202
    other = api.post("/edit-chat", json=JOB, headers={"Authorization": "Bearer someone-else"})
    assert other.status_code == 503


def test_a_latency_rule_delays_one_answer_past_the_clients_timeout(piktid_mock, api):
    piktid_mock.fail_next(kind="latency", delay=3.0)
    with pytest.raises(httpx.ReadTimeout):
        api.post("/edit-chat", json=JOB, timeout=0.5)
    assert api.post("/edit-chat", json=JOB, timeout=0.5).status_code == 202


def test_a_latency_rule_changes_nothing_but_the_timing(piktid_mock, api):
    piktid_mock.fail_next(kind="latency", delay=0.2)
    response = api.post("/edit-chat", json=JOB)
    assert response.status_code == 202
    assert response.elapsed.total_seconds() >= 0.2


@manual
def test_fail_variation_fails_every_variation_of_the_next_job_only_and_charges_nothing(piktid_mock, api):
    piktid_mock.fail_next()
    failed = api.post("/edit-chat", json={**JOB, "num_variations": 2}).json()["job_id"]
    fine = api.post("/edit-chat", json=JOB).json()["job_id"]
    piktid_mock.advance(2)

    assert [(r["status"], bool(r["error_message"])) for r in _results(api, failed)] == [("failed", True)] * 2
    assert [r["status"] for r in _results(api, fine)] == ["completed"]
    account = piktid_mock.account("tester")
    assert (account["charged_credits"], account["in_progress_credits"]) == (3, 0)


@manual
def test_a_refusal_falls_back_under_auto_and_fails_an_explicit_engine(piktid_mock, api):
    piktid_mock.fail_next(kind="refusal", times=2)
    auto = api.post("/edit-chat", json=JOB).json()["job_id"]
    explicit = api.post("/edit-chat", json={**JOB, "model": "gpt_image"}).json()["job_id"]
    after = api.post("/edit-chat", json={**JOB, "model": "gpt_image"}).json()["job_id"]
    piktid_mock.advance(1)

    assert [(r["status"], r["model_used"]) for r in _results(api, auto)] == [
        ("completed", piktid_mock.backend.settings.fallback_engine)
    ]
    refused = _results(api, explicit)[0]
    assert refused["status"] == "failed" and "refused" in refused["error_message"]
    assert [(r["status"], r["model_used"]) for r in _results(api, after)] == [("completed", "gpt_image")]


def _live_names(events) -> list[str]:
    return [json.loads(e.data)["name"] for e in events if e.event in ("message", "")]


@manual
def test_drop_stream_closes_the_next_stream_after_one_live_frame(piktid_mock, api):
    piktid_mock.fail_next(kind="drop_stream")
    with connect_sse(api, "GET", "/notifications/events") as source:
        events = source.iter_sse()
        assert next(events).event == "backfill_complete"
        api.post("/edit-chat", json=JOB)
        assert _live_names(events) == ["batch_edit"]  # iteration ended: the server closed the stream

    with connect_sse(api, "GET", "/notifications/events?name_list=image_result") as source:
        events = source.iter_sse()
        assert next(events).event == "backfill_complete"
        piktid_mock.advance(1)
        assert json.loads(next(events).data)["name"] == "image_result"  # the rule is spent: still open
        api.post("/edit-chat", json=JOB)
        piktid_mock.advance(1)
        assert json.loads(next(events).data)["name"] == "image_result"


@manual
def test_webhook_timeout_makes_one_delivery_attempt_time_out(piktid_mock, api, receiver):
    piktid_mock.fail_next(kind="webhook_timeout")
    assert api.put("/webhooks", json={"url": receiver.url}).status_code == 200
    wait_until(lambda: piktid_mock.deliveries()[0]["attempts"][0]["error"])
    assert receiver.all() == []

    piktid_mock.advance(piktid_mock.backend.settings.webhook_backoff)
    wait_until(lambda: piktid_mock.deliveries()[0]["status"] == "delivered")
    ping = piktid_mock.deliveries()[0]
    assert "Timeout" in ping["attempts"][0]["error"]
    assert ping["attempts"][1]["status_code"] == 204
    assert [d.event for d in receiver.all()] == ["ping"]

    api.post("/edit-chat", json=JOB)
    piktid_mock.advance(1)
    wait_until(lambda: all(d["status"] == "delivered" for d in piktid_mock.deliveries()))
    assert all(len(d["attempts"]) == 1 for d in piktid_mock.deliveries()[1:])


def _outcomes(seed: int) -> list[int]:
    with mock_piktid(seed=seed) as control:
        control.fail_next(503, path="/upload", times=None, probability=0.5)
        with httpx.Client(headers={"Authorization": "Bearer tester"}) as client:
            return [client.post("https://v2.api.piktid.com/upload", json={}).status_code for _ in range(30)]


def test_a_probability_rule_hits_a_seeded_reproducible_fraction():
    first = _outcomes(seed=11)
    assert first == _outcomes(seed=11)
    assert set(first) == {200, 503}


def test_the_control_api_refuses_a_bad_rule_with_a_400_naming_the_field(api):
    assert api.post("/_mock/faults", json={"kind": "explode"}).json()["detail"][0]["field"] == "kind"
    assert api.post("/_mock/faults", json={"kind": "status", "status": 418}).status_code == 400
    assert api.post("/_mock/faults", json={"kind": "status", "status": 500, "colour": 1}).status_code == 400
    added = api.post("/_mock/faults", json={"kind": "status", "status": 500, "path": "/edit-chat"})
    assert added.status_code == 201
    assert [r["id"] for r in api.get("/_mock/faults").json()] == [added.json()["id"]]
    assert api.delete("/_mock/faults").json() == []
