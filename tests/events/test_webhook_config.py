"""``PUT/GET/DELETE /webhooks`` and ``POST /webhooks/test``: the object, secret rotation, isolation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from events_support import (
    LATENCY,
    OTHER,
    TOKEN,
    Receiver,
    api,
    deliveries,
    put_webhook,
    start_job,
    wait_settled,
    wait_until,
)

from mock_server.testing import LiveServer
from mock_server.webhooks import verify

FIELDS = {"id", "url", "is_active", "created_at", "updated_at", "last_response_status", "last_response_at"}
MakeReceiver = Callable[..., Receiver]


def test_put_returns_the_webhook_object_with_a_secret_and_sends_a_signed_ping(
    server: LiveServer, make_receiver: MakeReceiver
) -> None:
    receiver = make_receiver()
    hook = put_webhook(server, TOKEN, receiver.url)
    assert set(hook) == FIELDS | {"secret"}
    assert hook["url"] == receiver.url and hook["is_active"] is True
    assert len(hook["secret"]) >= 32
    [ping] = receiver.wait("ping", 1)
    assert ping.json()["name"] == "ping" and set(ping.json()) == {"id", "name", "timestamp", "data"}
    assert verify(hook["secret"], ping.body, ping.headers["x-webhook-signature"])


def test_get_shows_the_webhook_without_its_secret_and_its_last_response(
    server: LiveServer, make_receiver: MakeReceiver
) -> None:
    hook = put_webhook(server, TOKEN, make_receiver(script={"ping": [503]}).url)
    assert hook["last_response_status"] is None and hook["last_response_at"] is None
    wait_settled(server, "ping", 1)
    shown = api(server, "GET", "/webhooks", TOKEN).json()
    assert set(shown) == FIELDS
    assert {k: shown[k] for k in ("id", "url", "is_active", "created_at")} == {
        k: hook[k] for k in ("id", "url", "is_active", "created_at")
    }
    assert shown["last_response_status"] == 503 and isinstance(shown["last_response_at"], str)
    server.control.advance(server.backend.settings.webhook_backoff)
    wait_until(lambda: deliveries(server, "ping")[0]["status"] == "delivered", what="the ping's retry")
    assert api(server, "GET", "/webhooks", TOKEN).json()["last_response_status"] == 204


def test_every_put_rotates_the_secret_and_keeps_the_webhook(server: LiveServer, make_receiver: MakeReceiver) -> None:
    receiver = make_receiver()
    first = put_webhook(server, TOKEN, receiver.url)
    second = put_webhook(server, TOKEN, receiver.url)
    assert second["secret"] != first["secret"]
    assert second["id"] == first["id"] and second["created_at"] == first["created_at"]
    pings = receiver.wait("ping", 2)
    for secret in (first["secret"], second["secret"]):
        assert sum(verify(secret, p.body, p.headers["x-webhook-signature"]) for p in pings) == 1


def test_deliveries_keep_the_secret_in_force_when_they_were_created(
    server: LiveServer, make_receiver: MakeReceiver
) -> None:
    receiver = make_receiver(script={"image_result": [500]})
    old = put_webhook(server, TOKEN, receiver.url)["secret"]
    start_job(server, TOKEN)
    server.control.advance(LATENCY)
    wait_settled(server, "image_result", 1)
    new = put_webhook(server, TOKEN, receiver.url)["secret"]
    server.control.advance(server.backend.settings.webhook_backoff)
    retried = receiver.wait("image_result", 2)[1]
    assert retried.status == 204
    assert verify(old, retried.body, retried.headers["x-webhook-signature"])
    assert not verify(new, retried.body, retried.headers["x-webhook-signature"])
    later = start_job(server, TOKEN)
    server.control.advance(LATENCY)
    fresh = [r for r in receiver.wait("image_result", 3) if r.json()["data"]["id_task"] == later]
    assert fresh and verify(new, fresh[0].body, fresh[0].headers["x-webhook-signature"])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": None},
        {"url": 7},
        {"url": "not a url"},
        {"url": "ftp://example.com/x"},
        {"url": "http://"},
        {"url": "http://[::1"},
        {"url": "http://127.0.0.1:99999/"},
        {"url": "http://127.0.0.1:abc/"},
        {"url": "http://a b/"},
        {"url": "http://x\n.com/"},
    ],
)
def test_put_rejects_a_missing_or_bad_url_naming_it(server: LiveServer, body: dict[str, Any]) -> None:
    response = api(server, "PUT", "/webhooks", TOKEN, json=body)
    assert response.status_code == 400
    assert [d["field"] for d in response.json()["detail"]] == ["url"]


@pytest.mark.parametrize("raw", [b"{url", b"[]", b"null", b""])
def test_put_rejects_a_body_that_is_not_a_json_object(server: LiveServer, raw: bytes) -> None:
    response = api(server, "PUT", "/webhooks", TOKEN, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "error" in response.json()


def test_without_a_webhook_get_delete_and_test_are_404(server: LiveServer) -> None:
    for method, path in [("GET", "/webhooks"), ("DELETE", "/webhooks"), ("POST", "/webhooks/test")]:
        response = api(server, method, path, TOKEN)
        assert response.status_code == 404, (method, path)
        assert "error" in response.json()


def test_test_endpoint_sends_a_signed_test_event(server: LiveServer, make_receiver: MakeReceiver) -> None:
    receiver = make_receiver()
    secret = put_webhook(server, TOKEN, receiver.url)["secret"]
    response = api(server, "POST", "/webhooks/test", TOKEN)
    assert response.status_code == 200
    [test] = receiver.wait("test", 1)
    assert test.json()["name"] == "test" and test.headers["x-webhook-delivery"] == response.json()["delivery_id"]
    assert verify(secret, test.body, test.headers["x-webhook-signature"])


def test_delete_stops_deliveries_and_cancels_pending_retries(server: LiveServer, make_receiver: MakeReceiver) -> None:
    receiver = make_receiver(script={"image_result": [500]})
    put_webhook(server, TOKEN, receiver.url)
    start_job(server, TOKEN)
    server.control.advance(LATENCY)
    wait_settled(server, "image_result", 1)
    assert api(server, "DELETE", "/webhooks", TOKEN).status_code == 200
    assert api(server, "GET", "/webhooks", TOKEN).status_code == 404
    start_job(server, TOKEN)
    server.control.advance(60)
    assert [d["status"] for d in deliveries(server, "image_result")] == ["cancelled"]
    assert len(receiver.of("image_result")) == 1
    assert server.control.pending() == 0


def test_webhooks_are_isolated_between_users(server: LiveServer, make_receiver: MakeReceiver) -> None:
    alice, bob = make_receiver(), make_receiver()
    put_webhook(server, TOKEN, alice.url)
    put_webhook(server, OTHER, bob.url)
    job = start_job(server, TOKEN)
    server.control.advance(LATENCY)
    alice.wait("image_result", 1)
    wait_until(lambda: all(d["status"] != "pending" for d in deliveries(server)), what="every delivery to end")
    assert {r.event for r in bob.all()} == {"ping"}
    assert {r.json()["data"]["id_task"] for r in alice.of("image_result")} == {job}
    assert api(server, "GET", "/webhooks", OTHER).json()["url"] == bob.url
    assert api(server, "DELETE", "/webhooks", OTHER).status_code == 200
    assert api(server, "GET", "/webhooks", TOKEN).json()["url"] == alice.url
    assert {d["url"] for d in deliveries(server, user=TOKEN)} == {alice.url}


def test_a_new_url_cancels_retries_to_the_old_one(server: LiveServer, make_receiver: MakeReceiver) -> None:
    old, new = make_receiver(script={"image_result": [500] * 10}), make_receiver()
    put_webhook(server, TOKEN, old.url)
    start_job(server, TOKEN)
    server.control.advance(LATENCY)
    wait_settled(server, "image_result", 1)
    put_webhook(server, TOKEN, new.url)
    wait_settled(server, "ping", 2)
    server.control.advance(60)
    [delivery] = deliveries(server, "image_result")
    assert (delivery["url"], delivery["status"], len(delivery["attempts"])) == (old.url, "cancelled", 1)
    assert len(old.of("image_result")) == 1
    assert server.control.pending() == 0


def test_the_new_configs_last_response_reflects_only_its_own_attempts(
    server: LiveServer, make_receiver: MakeReceiver
) -> None:
    old = make_receiver(script={"image_result": [500]}, hold=frozenset({"image_result"}))
    new = make_receiver(script={"ping": [201]})
    put_webhook(server, TOKEN, old.url)
    start_job(server, TOKEN)
    server.control.advance(LATENCY)
    [started] = deliveries(server, "image_result")
    assert len(started["attempts"]) == 1 and started["attempts"][0]["status_code"] is None, "held by the receiver"
    put_webhook(server, TOKEN, new.url)
    wait_settled(server, "ping", 2)
    old.release()
    [delivery] = wait_settled(server, "image_result", 1)
    assert delivery["attempts"][0]["status_code"] == 500, "the old URL's attempt ended after the PUT"
    assert api(server, "GET", "/webhooks", TOKEN).json()["last_response_status"] == 201
