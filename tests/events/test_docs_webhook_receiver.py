"""The Playground page's Flask webhook receiver, written the same way in Starlette, against a live mock.

As in the docs, the webhook is set up (``PUT /webhooks``) before the receiver runs, so the ``ping``
finds it down and lands on a retry; from then on every delivery must pass ``verify_signature``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
from events_support import (
    LATENCY,
    TOKEN,
    Collector,
    ThreadedServer,
    deliveries,
    put_webhook,
    start_job,
    wait_settled,
    wait_until,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_server.testing import LiveServer


def verify_signature(secret: str, body: bytes, signature_header: str) -> bool:
    """Copied from the Playground page."""
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature_header)


def docs_receiver(config: dict[str, str], printed: list[str], answered: Collector[tuple[str, int]]) -> Starlette:
    """The docs' ``handle_piktid_webhook``: 401 unless the signature verifies, 204 otherwise."""

    async def handle_piktid_webhook(request: Request) -> Response:
        body = await request.body()
        signature = request.headers.get("X-Webhook-Signature", "")
        if not verify_signature(config["webhook_secret"], body, signature):
            answered.add((request.headers.get("X-Webhook-Event", ""), 401))
            return Response(status_code=401)

        notification = json.loads(body)
        if notification["name"] == "image_result":
            data = notification.get("data", {})
            if data.get("id_task") == config.get("job_id") and data.get("status") == "completed":
                printed.append(f"Image ready: {data['output_link']}")

        answered.add((notification["name"], 204))
        return Response(status_code=204)

    return Starlette(routes=[Route("/webhooks/piktid", handle_piktid_webhook, methods=["POST"])])


def test_docs_receiver_verifies_every_delivery_and_sees_the_image(server: LiveServer) -> None:
    config: dict[str, str] = {}
    printed: list[str] = []
    answered: Collector[tuple[str, int]] = Collector()
    receiver = ThreadedServer(docs_receiver(config, printed, answered))
    url = f"http://127.0.0.1:{receiver.port}/webhooks/piktid"
    try:
        config["webhook_secret"] = put_webhook(server, TOKEN, url)["secret"]
        wait_settled(server, "ping", 1)
        receiver.start()
        server.control.advance(server.backend.settings.webhook_backoff)
        config["job_id"] = start_job(server, TOKEN, variations=2)
        server.control.advance(2 * LATENCY)
        got = answered.wait_for(lambda a: sum(e == "image_result" for e, _ in a) == 2, "both image results")
        wait_until(lambda: all(d["status"] == "delivered" for d in deliveries(server)), "every delivery to land")
        assert {status for _, status in answered.items()} == {204}
        assert {event for event, _ in got} == {"ping", "batch_edit", "image_result"}
        links = sorted(r["output"]["full_size"] for r in _results(server, config["job_id"]))
        assert sorted(printed) == [f"Image ready: {link}" for link in links]
        forged = httpx.post(
            url,
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
