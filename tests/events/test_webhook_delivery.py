"""Webhook deliveries: headers and body, retries with backoff on the mock's clock, receivers that fail.

The clock is manual, so a retry happens exactly when the test advances past its backoff; each
attempt is awaited (bounded) before the clock moves again.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
from events_support import (
    LATENCY,
    TOKEN,
    Receiver,
    api,
    deliveries,
    put_webhook,
    settled,
    start_job,
    wait_settled,
    wait_until,
)

from mock_server.testing import LiveServer
from mock_server.webhooks import verify

MakeReceiver = Callable[..., Receiver]


def test_each_notification_is_posted_as_signed_json_with_event_and_delivery_headers(
    server: LiveServer, make_receiver: MakeReceiver
) -> None:
    receiver = make_receiver()
    secret = put_webhook(server, TOKEN, receiver.url)["secret"]
    job = start_job(server, TOKEN, variations=2)
    server.control.advance(2 * LATENCY)
    receiver.wait("batch_edit", 2)
    results = receiver.wait("image_result", 2)
    notifications = {n["id"]: n for n in server.control.notifications(TOKEN)}
    for got in results:
        assert got.headers["content-type"] == "application/json"
        assert got.headers["x-webhook-signature"].startswith("sha256=")
        assert verify(secret, got.body, got.headers["x-webhook-signature"])
        sent = notifications[got.json()["id"]]
        assert got.json() == {k: sent[k] for k in ("id", "name", "timestamp", "data")}
        assert got.json()["data"]["id_task"] == job and got.event == got.json()["name"]
    assert len({r.headers["x-webhook-delivery"] for r in receiver.all()}) == len(receiver.all())


def test_500_twice_then_204_delivers_the_same_notification_three_times_then_never_again(
    server: LiveServer, make_receiver: MakeReceiver
) -> None:
    receiver = make_receiver(script={"image_result": [500, 500]})
    secret = put_webhook(server, TOKEN, receiver.url)["secret"]
    start_job(server, TOKEN)
    server.control.advance(LATENCY)
    backoff = server.backend.settings.webhook_backoff
    for attempt in (1, 2):
        wait_settled(server, "image_result", 1, attempts=attempt)
        server.control.advance(backoff * 2 ** (attempt - 1))
    [delivery] = wait_settled(server, "image_result", 1, attempts=3)
    server.control.advance(backoff * 2**server.backend.settings.webhook_attempts * 10)
    got = receiver.of("image_result")
    assert [r.status for r in got] == [500, 500, 204]
    assert {r.headers["x-webhook-delivery"] for r in got} == {delivery["id"]}
    assert {r.body for r in got} == {got[0].body}
    assert all(verify(secret, r.body, r.headers["x-webhook-signature"]) for r in got)
    assert deliveries(server, "image_result")[0]["status"] == "delivered"
    assert server.control.pending() == 0
    assert len(receiver.of("image_result")) == 3


def test_retries_wait_backoff_doubling_on_the_mocks_clock_up_to_the_attempt_limit(
    make_server: Callable[..., LiveServer], make_receiver: MakeReceiver
) -> None:
    server = make_server(webhook_backoff=3.0, webhook_attempts=4)
    receiver = make_receiver(script={"image_result": [500] * 10})
    put_webhook(server, TOKEN, receiver.url)
    start_job(server, TOKEN)
    server.control.advance(LATENCY)
    for attempt in (1, 2, 3):
        wait_settled(server, "image_result", 1, attempts=attempt)
        delay = 3.0 * 2 ** (attempt - 1)
        assert server.control.advance(delay - 0.01)["ran"] == 0
        assert len(deliveries(server, "image_result")[0]["attempts"]) == attempt
        assert server.control.advance(0.01)["ran"] == 1
    [delivery] = wait_settled(server, "image_result", 1, attempts=4)
    times = [a["at"] for a in delivery["attempts"]]
    assert [b - a for a, b in zip(times, times[1:], strict=False)] == [3.0, 6.0, 12.0]
    assert [a["status_code"] for a in delivery["attempts"]] == [500] * 4
    assert delivery["status"] == "failed"
    assert server.control.advance(1000)["ran"] == 0
    assert len(receiver.of("image_result")) == 4


def test_a_receiver_that_is_down_then_back_gets_the_delivery(server: LiveServer, make_receiver: MakeReceiver) -> None:
    receiver = make_receiver(start=False)
    put_webhook(server, TOKEN, receiver.url)
    start_job(server, TOKEN)
    server.control.advance(LATENCY)
    [refused] = wait_settled(server, "image_result", 1)
    assert refused["attempts"][0]["status_code"] is None and "Connect" in refused["attempts"][0]["error"]
    assert api(server, "GET", "/webhooks", TOKEN).json()["last_response_status"] is None
    receiver.start()
    server.control.advance(server.backend.settings.webhook_backoff)
    [got] = receiver.wait("image_result", 1)
    assert got.headers["x-webhook-delivery"] == refused["id"] and got.headers["x-webhook-attempt"] == "2"
    wait_until(lambda: deliveries(server, "image_result")[0]["status"] == "delivered", what="the retry to land")
    hook = api(server, "GET", "/webhooks", TOKEN).json()
    assert hook["last_response_status"] == 204 and hook["last_response_at"] is not None


def test_a_receiver_that_times_out_is_retried(
    make_server: Callable[..., LiveServer], make_receiver: MakeReceiver
) -> None:
    server = make_server(webhook_timeout=0.2)
    receiver = make_receiver(hold=frozenset({"image_result"}))
    put_webhook(server, TOKEN, receiver.url)
    start_job(server, TOKEN)
    server.control.advance(LATENCY)
    [timed_out] = wait_settled(server, "image_result", 1)
    assert "Timeout" in timed_out["attempts"][0]["error"] and timed_out["status"] == "pending"
    receiver.release()
    server.control.advance(server.backend.settings.webhook_backoff)
    wait_until(lambda: deliveries(server, "image_result")[0]["status"] == "delivered", what="the retry to land")


def test_a_receiver_that_hangs_never_blocks_api_requests(
    make_server: Callable[..., LiveServer], make_receiver: MakeReceiver
) -> None:
    """Every call below returns while all three deliveries are still waiting on the receiver."""
    server = make_server(webhook_timeout=8.0)
    receiver = make_receiver(hold=frozenset({"ping", "batch_edit", "image_result"}))
    put_webhook(server, TOKEN, receiver.url)
    job = start_job(server, TOKEN)
    server.control.advance(LATENCY)
    quick = httpx.Timeout(3.0)
    results = httpx.get(
        f"{server.url}/jobs/{job}/results", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=quick, trust_env=False
    )
    assert results.status_code == 200 and results.json()["results"][0]["status"] == "completed"
    assert (
        httpx.get(
            f"{server.url}/webhooks", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=quick, trust_env=False
        ).status_code
        == 200
    )
    in_flight = deliveries(server)
    assert sorted(d["event"] for d in in_flight) == ["batch_edit", "batch_edit", "image_result", "ping"]
    assert not any(settled(d) for d in in_flight) and not receiver.all()
    receiver.release()
    receiver.wait("image_result", 1)


def test_the_delivery_log_is_the_same_in_process_and_over_the_control_api(
    server: LiveServer, make_receiver: MakeReceiver
) -> None:
    receiver = make_receiver(script={"image_result": [502]})
    put_webhook(server, TOKEN, receiver.url)
    start_job(server, TOKEN)
    server.control.advance(LATENCY)
    wait_settled(server, "image_result", 1)
    server.control.advance(server.backend.settings.webhook_backoff)
    wait_until(lambda: all(d["status"] == "delivered" for d in deliveries(server)), what="every delivery to land")
    log = server.control.deliveries(TOKEN)
    over_http = httpx.get(f"{server.url}/_mock/deliveries", params={"user": TOKEN}, trust_env=False).json()
    assert over_http == json.loads(json.dumps(log))
    [result] = [d for d in log if d["event"] == "image_result"]
    assert [a["status_code"] for a in result["attempts"]] == [502, 204]
    assert all(a["duration"] is not None and a["duration"] >= 0 for a in result["attempts"])
    assert {d["event"] for d in log} == {"ping", "batch_edit", "image_result"}
    assert server.control.deliveries("nobody") == []


def test_a_reset_forgets_deliveries_in_flight(server: LiveServer, make_receiver: MakeReceiver) -> None:
    receiver = make_receiver(script={"image_result": [500] * 5}, hold=frozenset({"image_result"}))
    put_webhook(server, TOKEN, receiver.url)
    start_job(server, TOKEN)
    server.control.advance(LATENCY)
    wait_until(lambda: deliveries(server, "image_result"), what="the image_result attempt to start")
    server.control.reset()
    receiver.release()
    wait_until(lambda: not server.control.deliveries_in_flight(), what="the attempt in flight to end")
    assert server.control.advance(1000)["ran"] == 0
    assert server.control.deliveries() == [] and len(receiver.of("image_result")) <= 1
