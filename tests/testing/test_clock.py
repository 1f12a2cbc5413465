"""The mock's clock: advancing it completes jobs, fires retries and moves windows, with no real waiting."""

from __future__ import annotations

import time

import httpx
import pytest

from mock_server.testing import WebhookReceiver, mock_piktid, sample_image, wait_until

API = "https://v2.api.piktid.com"
JOB = {"prompt": "a red bicycle", "size": "1K"}


def _statuses(api: httpx.Client, job_id: str) -> list[str]:
    return [r["status"] for r in api.get(f"/jobs/{job_id}/results").json()["results"]]


@pytest.mark.piktid_mock(clock="manual", latency=30)
def test_on_a_manual_clock_jobs_stay_processing_until_advanced(piktid_mock, api):
    job_id = api.post("/edit-chat", json={**JOB, "num_variations": 2}).json()["job_id"]
    assert _statuses(api, job_id) == ["processing", "processing"]
    piktid_mock.advance(29.9)
    assert _statuses(api, job_id) == ["processing", "processing"]
    piktid_mock.advance(0.1)
    assert _statuses(api, job_id) == ["completed", "processing"]  # variation i is due at (i + 1) x latency
    ran = api.post("/_mock/clock/advance", json={"seconds": 30}).json()
    assert (ran["ran"], ran["pending"]) == (1, 0)
    assert _statuses(api, job_id) == ["completed", "completed"]


def test_on_the_real_clock_advance_completes_jobs_and_keeps_the_offset():
    with mock_piktid(latency=600) as control, httpx.Client(base_url=API, headers={"Authorization": "Bearer t"}) as api:
        job_id = api.post("/edit-chat", json=JOB).json()["job_id"]
        assert _statuses(api, job_id) == ["processing"]
        assert api.post("/_mock/clock/advance", json={"seconds": 600}).json()["pending"] == 0
        assert _statuses(api, job_id) == ["completed"]
        clock = api.get("/_mock/clock").json()
        assert clock["mode"] == "real"
        assert clock["now"] - time.time() >= 599  # the jump is kept, and real time still flows on top
        assert control.now() > clock["now"]


def test_switching_clock_modes_does_not_jump_time(piktid_mock, api):
    before = piktid_mock.now()
    frozen = api.put("/_mock/clock", json={"mode": "manual"}).json()
    assert frozen["mode"] == "manual" and frozen["now"] >= before
    assert piktid_mock.now() == frozen["now"]
    back = api.put("/_mock/clock", json={"mode": "real"}).json()
    assert back["now"] >= frozen["now"]
    assert api.put("/_mock/clock", json={"mode": "sundial"}).json()["detail"][0]["field"] == "mode"
    assert api.post("/_mock/clock/advance", json={"seconds": -1}).status_code == 400
    assert api.post("/_mock/clock/advance", json={}).status_code == 400


@pytest.mark.piktid_mock(clock="manual")
def test_advance_moves_the_rate_limit_window(piktid_mock, api):
    limit = piktid_mock.backend.settings.rate_limit
    assert {api.post("/edit-chat", json=JOB).status_code for _ in range(limit)} == {202}
    assert api.post("/edit-chat", json=JOB).status_code == 429
    piktid_mock.advance(piktid_mock.backend.settings.rate_window)
    assert api.post("/edit-chat", json=JOB).status_code == 202


@pytest.mark.piktid_mock(clock="manual")
def test_advance_expires_upload_urls(piktid_mock, api):
    early, late = (api.post("/upload", json={"filename": "a.png"}).json() for _ in range(2))
    ttl = piktid_mock.backend.settings.upload_ttl

    def put(target: dict) -> httpx.Response:
        return httpx.put(target["upload_url"], headers={"Content-Type": "image/png"}, content=sample_image())

    piktid_mock.advance(ttl - 1)
    assert put(early).status_code == 200
    piktid_mock.advance(2)
    response = put(late)
    assert (response.status_code, response.json()["code"]) == (403, "upload_expired")


@pytest.mark.piktid_mock(clock="manual")
def test_advance_fires_webhook_retries(piktid_mock, api):
    with WebhookReceiver(answers=[500, 500, 204]) as receiver:
        api.put("/webhooks", json={"url": receiver.url})
        wait_until(lambda: len(receiver.all()) == 1)
        backoff = piktid_mock.backend.settings.webhook_backoff
        for attempt, delay in enumerate([backoff, 2 * backoff], start=2):
            wait_until(lambda: piktid_mock.pending() == 1)
            piktid_mock.advance(delay)
            wait_until(lambda n=attempt: len(receiver.all()) == n)
        wait_until(lambda: piktid_mock.deliveries()[0]["status"] == "delivered")
    assert [a["status_code"] for a in piktid_mock.deliveries()[0]["attempts"]] == [500, 500, 204]
