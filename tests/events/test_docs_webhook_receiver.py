"""The Playground page's Flask webhook receiver, as a ``WebhookReceiver`` answer, against a live mock.

``verify_signature`` is the docs' code verbatim, kept on purpose; the handler keeps the docs' logic line for line.

As in the docs, the webhook is set up (``PUT /webhooks``) before the receiver runs, so the ``ping``
finds it down and lands on a retry; from then on every delivery must pass ``verify_signature``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import httpx
from events_support import (
    LATENCY,
    TOKEN,
    deliveries,
    put_webhook,
    start_job,
    wait_settled,
    wait_until,
)

from mock_server.testing import Delivery, LiveServer, WebhookReceiver


def verify_signature(secret: str, body: bytes, signature_header: str) -> bool:
    """Copied from the Playground page."""
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature_header)


def docs_receiver(config: dict[str, str], printed: list[str]) -> Callable[[Delivery], int]:
    """The docs' ``handle_piktid_webhook`` as a ``WebhookReceiver`` answer: 401 unless the signature verifies."""

    def handle_piktid_webhook(delivery: Delivery) -> int:
        body = delivery.body
        signature = delivery.headers.get("x-webhook-signature", "")
        if not verify_signature(config["webhook_secret"], body, signature):
            return 401

        notification = json.loads(body)
        if notification["name"] == "image_result":
            data = notification.get("data", {})
            if data.get("id_task") == config.get("job_id") and data.get("status") == "completed":
                printed.append(f"Image ready: {data['output_link']}")

        return 204

    return handle_piktid_webhook


def test_docs_receiver_verifies_every_delivery_and_sees_the_image(server: LiveServer) -> None:
    config: dict[str, str] = {}
    printed: list[str] = []
    receiver = WebhookReceiver(answers=docs_receiver(config, printed))
    try:
        config["webhook_secret"] = put_webhook(server, TOKEN, receiver.url)["secret"]
        wait_settled(server, "ping", 1)
        receiver.start()
        server.control.advance(server.backend.settings.webhook_backoff)
        config["job_id"] = start_job(server, TOKEN, variations=2)
        server.control.advance(2 * LATENCY)
        wait_until(lambda: sum(d.event == "image_result" for d in receiver.all()) == 2, what="both image results")
        wait_until(lambda: all(d["status"] == "delivered" for d in deliveries(server)), what="every delivery to land")
        assert {d.status for d in receiver.all()} == {204}
        assert {d.event for d in receiver.all()} == {"ping", "batch_edit", "image_result"}
        links = sorted(r["output"]["full_size"] for r in _results(server, config["job_id"]))
        assert sorted(printed) == [f"Image ready: {link}" for link in links]
        forged = httpx.post(
            receiver.url,
            content=b'{"name": "image_result"}',
            trust_env=False,
            headers={"X-Webhook-Signature": "sha256=" + "0" * 64},
        )
        assert forged.status_code == 401
    finally:
        receiver.stop()


def _results(server: LiveServer, job_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{server.url}/jobs/{job_id}/results", headers={"Authorization": f"Bearer {TOKEN}"}, trust_env=False
    )
    return response.json()["results"]
