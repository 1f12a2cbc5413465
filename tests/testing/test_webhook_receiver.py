"""WebhookReceiver over real HTTP: what it records, what it answers, and how it waits."""

from __future__ import annotations

import threading

import httpx
import pytest

from mock_server.settings import Settings
from mock_server.testing import Delivery, LiveServer, WebhookReceiver, wait_until


def post(url: str, body: bytes = b'{"name": "ping"}', **headers: str) -> httpx.Response:
    return httpx.post(url, content=body, headers=headers, trust_env=False, timeout=5)


def test_records_the_raw_body_and_lower_cased_headers() -> None:
    with WebhookReceiver() as hooks:
        assert post(hooks.url, b'{"name":  "ping"}', **{"X-Webhook-Event": "ping"}).status_code == 204
        delivery = hooks.next(timeout=5)
    assert delivery.body == b'{"name":  "ping"}'
    assert delivery.json() == {"name": "ping"}
    assert delivery.headers["x-webhook-event"] == delivery.event == "ping"
    assert (delivery.path, delivery.status) == ("/webhook", 204)


def test_answers_each_delivery_in_turn_and_repeats_the_last() -> None:
    with WebhookReceiver(answers=[500, 503, 204]) as hooks:
        statuses = [post(hooks.url).status_code for _ in range(5)]
    assert statuses == [500, 503, 204, 204, 204]
    assert [d.status for d in hooks.all()] == statuses


def test_a_callable_chooses_the_answer_from_the_delivery() -> None:
    with WebhookReceiver(answers=lambda d: 401 if d.event == "ping" else 202) as hooks:
        assert post(hooks.url, **{"X-Webhook-Event": "ping"}).status_code == 401
        assert post(hooks.url, **{"X-Webhook-Event": "image_result"}).status_code == 202


def test_next_returns_each_delivery_once_and_all_keeps_them() -> None:
    with WebhookReceiver() as hooks:
        for n in range(3):
            post(hooks.url, str(n).encode())
        assert [hooks.next().body for _ in range(3)] == [b"0", b"1", b"2"]
        assert [d.body for d in hooks.all()] == [b"0", b"1", b"2"]


def test_next_times_out_with_a_clear_error() -> None:
    with WebhookReceiver() as hooks, pytest.raises(TimeoutError, match=r"no webhook delivery .* \(0 received in all\)"):
        hooks.next(timeout=0.05)


def test_refuses_connections_before_start_and_after_stop() -> None:
    hooks = WebhookReceiver()
    with pytest.raises(httpx.ConnectError):
        post(hooks.url)
    with hooks:
        assert post(hooks.url).status_code == 204
    with pytest.raises(httpx.ConnectError):
        post(hooks.url)


def test_a_blocking_answer_holds_only_its_own_delivery() -> None:
    release = threading.Event()
    answers = lambda d: 204 if d.event != "slow" or release.wait(5) else 500  # noqa: E731 - a one-line rule
    with WebhookReceiver(answers=answers) as hooks:
        slow = threading.Thread(target=post, args=(hooks.url,), kwargs={"X-Webhook-Event": "slow"})
        slow.start()
        assert post(hooks.url, **{"X-Webhook-Event": "fast"}).status_code == 204
        assert [d.event for d in hooks.all()] == ["fast"]
        release.set()
        slow.join(5)
        assert wait_until(lambda: len(hooks.all()) == 2, 5)


def test_empty_answers_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one status"):
        WebhookReceiver(answers=[])


def test_receives_the_mocks_signed_ping() -> None:
    with LiveServer(Settings()) as server, WebhookReceiver() as hooks:
        server.control.set_account("tok-hooks", plan="pro", credits=10)
        response = httpx.put(
            server.url + "/webhooks",
            json={"url": hooks.url},
            headers={"Authorization": "Bearer tok-hooks"},
            trust_env=False,
        )
        assert response.status_code == 200, response.text
        ping: Delivery = hooks.next()
    assert ping.event == "ping" and ping.json()["name"] == "ping"
    assert ping.headers["x-webhook-signature"].startswith("sha256=")


def test_a_burst_of_concurrent_deliveries_is_recorded_whole() -> None:
    with WebhookReceiver() as hooks:
        senders = [threading.Thread(target=post, args=(hooks.url, str(n).encode())) for n in range(60)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(10)
        assert sorted(int(d.body) for d in hooks.all()) == list(range(60))
