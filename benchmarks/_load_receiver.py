"""The load test's webhook receivers: one local ``WebhookReceiver`` on 127.0.0.1, a path per user.

Flaky users' receivers answer 500 at random to the first attempts of each delivery (never to the
last ones, so every delivery can succeed within the server's attempts). Every receipt is logged
with its delivery id, attempt, event, the answer given and the raw body, for the checks.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import random
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
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

    One ``WebhookReceiver`` for every user (the path names the user), in a process of its own: in the
    load client's process its accept loop and handler threads waited on the interpreter lock behind
    the client's event loop, so under a fast server its backlog overflowed and deliveries were refused
    until the mock gave them up, a failure of the harness, not of the mock. ``receipts`` reads what
    arrived since it last asked (a pipe to that process).
    """

    def __init__(self, flaky: set[str], rng: random.Random, failure_rate: float = 0.5) -> None:
        self._args = (sorted(flaky), rng.random(), failure_rate)
        self._url = ""
        self._got: list[Receipt] = []
        self._pipe: Connection | None = None
        self._process: BaseProcess | None = None

    def url_for(self, user: str) -> str:
        return f"{self._url}/{user}"

    @property
    def receipts(self) -> list[Receipt]:
        if self._pipe is not None:
            self._pipe.send(len(self._got))
            self._got.extend(self._pipe.recv())
        return list(self._got)

    async def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, theirs = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(theirs, *self._args), name="webhook-receivers", daemon=True
        )
        self._process.start()
        theirs.close()
        self._url = await asyncio.to_thread(self._pipe.recv)

    async def stop(self) -> None:
        if self._pipe is None or self._process is None:
            return
        self.receipts  # noqa: B018  (the last of the log, read before the process ends)
        self._pipe.send(None)
        await asyncio.to_thread(self._process.join, STOP_TIMEOUT)
        self._pipe.close()
        self._pipe = None


STOP_TIMEOUT = 10.0
"""Seconds the receivers' process may take to stop (it is a daemon: it ends with the load anyway)."""


def _serve(pipe: Connection, flaky: list[str], seed: float, failure_rate: float) -> None:
    """The receivers' process: serve, then answer each count (receipts since it) until told None."""
    rng, lock, unreliable = random.Random(seed), threading.Lock(), set(flaky)

    def answer(delivery: Delivery) -> int:
        attempt = int(delivery.headers.get("x-webhook-attempt", "0") or 0)
        with lock:
            fail = _user(delivery) in unreliable and attempt <= FLAKY_ATTEMPTS and rng.random() < failure_rate
        return 500 if fail else 204

    hooks = WebhookReceiver(answers=answer).start()
    pipe.send(hooks.url)
    while (since := pipe.recv()) is not None:
        pipe.send([_receipt(delivery) for delivery in hooks.all()[since:]])
    hooks.stop()


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
