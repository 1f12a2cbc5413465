"""The load test's webhook receivers: one local Starlette app on 127.0.0.1, a path per user.

Flaky users' receivers answer 500 at random to the first attempts of each delivery (never to the
last ones, so every delivery can succeed within the server's attempts). Every receipt is logged
with its delivery id, attempt, event, the answer given and the raw body, for the checks.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HOST = "127.0.0.1"
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

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def data(self) -> dict[str, Any]:
        return json.loads(self.body).get("data") or {}


@dataclass
class Receiver:
    """``await receiver.start()`` serves ``receiver.url_for(user)``; ``receipts`` is the log."""

    flaky: set[str]
    rng: random.Random
    failure_rate: float = 0.5
    receipts: list[Receipt] = field(default_factory=list)
    url: str = ""
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    def url_for(self, user: str) -> str:
        return f"{self.url}/hook/{user}"

    async def _hook(self, request: Request) -> Response:
        user, body = request.path_params["user"], await request.body()
        attempt = int(request.headers.get("x-webhook-attempt", "0") or 0)
        fail = user in self.flaky and attempt <= FLAKY_ATTEMPTS and self.rng.random() < self.failure_rate
        status = 500 if fail else 204
        self.receipts.append(
            Receipt(
                user,
                request.headers.get("x-webhook-delivery", ""),
                attempt,
                request.headers.get("x-webhook-event", ""),
                status,
                body,
                request.headers.get("x-webhook-signature", ""),
            )
        )
        return Response(status_code=status)

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, 0))
        self.url = f"http://{HOST}:{sock.getsockname()[1]}"
        app = Starlette(routes=[Route("/hook/{user}", self._hook, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await asyncio.wait_for(self._task, 15)
