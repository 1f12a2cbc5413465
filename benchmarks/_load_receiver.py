"""The load test's webhook receivers: one local ``WebhookReceiver`` on 127.0.0.1, a path per user.

Flaky users' receivers answer 500 at random to the first attempts of each delivery (never to the
last ones, so every delivery can succeed within the server's attempts). Every receipt is logged
with its delivery id, attempt, event, the answer given and the raw body, for the checks.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from dataclasses import dataclass
from typing import Any

from mock_server.testing import Delivery, WebhookReceiver

FLAKY_ATTEMPTS = 3
"""A flaky receiver may fail attempts 1..3 of a delivery; attempt 4 onwards always succeeds."""


@dataclass(frozen=True, slots=True)
class Receipt:
    user: str
    delivery: str
    attempt: int
    event: str
    status: int
    body: bytes
    signature: str
    truncated: bool = False
    """Fewer body bytes arrived than ``Content-Length`` said: the sender gave the attempt up mid-send
    (its whole-attempt timeout). The stdlib receiver answers it anyway; no real receiver would act on it."""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and not self.truncated

    def data(self) -> dict[str, Any]:
        return json.loads(self.body).get("data") or {}


class Receiver:
    """``await receiver.start()`` serves ``receiver.url_for(user)``; ``receipts`` is the log.

    One ``WebhookReceiver`` for every user (the path names the user), answering in its own threads.
    """

    def __init__(self, flaky: set[str], rng: random.Random, failure_rate: float = 0.5) -> None:
        self.flaky, self.rng, self.failure_rate = flaky, rng, failure_rate
        self._lock = threading.Lock()
        self._hooks = WebhookReceiver(answers=self._answer)

    def url_for(self, user: str) -> str:
        return f"{self._hooks.url}/{user}"

    @property
    def receipts(self) -> list[Receipt]:
        return [_receipt(delivery) for delivery in self._hooks.all()]

    def _answer(self, delivery: Delivery) -> int:
        attempt = int(delivery.headers.get("x-webhook-attempt", "0") or 0)
        with self._lock:
            fail = _user(delivery) in self.flaky and attempt <= FLAKY_ATTEMPTS and self.rng.random() < self.failure_rate
        return 500 if fail else 204

    async def start(self) -> None:
        self._hooks.start()

    async def stop(self) -> None:
        await asyncio.to_thread(self._hooks.stop)


def _user(delivery: Delivery) -> str:
    return delivery.path.rsplit("/", 1)[-1]


def _receipt(delivery: Delivery) -> Receipt:
    headers = delivery.headers
    return Receipt(
        _user(delivery),
        headers.get("x-webhook-delivery", ""),
        int(headers.get("x-webhook-attempt", "0") or 0),
        delivery.event,
        delivery.status,
        delivery.body,
        headers.get("x-webhook-signature", ""),
        len(delivery.body) < int(headers.get("content-length", "0") or 0),
    )
