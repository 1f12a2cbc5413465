"""Webhook attempts over the network: one background task per attempt, reported back to the backend.

A slow or dead receiver never delays a request or the clock; whatever happens (an answer, a
timeout, a refused connection, an injected ``webhook_timeout``) is reported with
``Backend.settle_attempt``, which decides on a retry. A reset cancels the attempts in flight.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time

import httpx

from mock_server.backend import AttemptStarted, Backend, Event, WasReset
from mock_server.webhook_send import send_attempt

INJECTED_TIMEOUT = "receiver timed out (injected by a mock fault rule)"


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every attempt: building one per client costs ~30 ms of event-loop time."""
    return httpx.create_ssl_context()


class Deliverer:
    """Makes each webhook attempt the backend starts as a background task and reports how it went."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.tasks: set[asyncio.Task[None]] = set()

    def send(self, started: AttemptStarted) -> None:
        try:
            task = asyncio.get_running_loop().create_task(self._post(started))
        except RuntimeError:
            return self.backend.settle_attempt(started, error="no event loop")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _post(self, started: AttemptStarted) -> None:
        delivery, began = started.delivery, time.perf_counter()
        status_code, error = None, None
        try:
            if started.timeout_injected:
                raise httpx.ReadTimeout(INJECTED_TIMEOUT)
            timeout = self.backend.settings.webhook_timeout
            status_code = await send_attempt(
                delivery.url, delivery.body, delivery.headers(), timeout=timeout, verify=_tls()
            )
        except Exception as exc:  # a receiver can fail in any way; none may crash the server
            error = f"{type(exc).__name__}: {exc}"
        duration = round(time.perf_counter() - began, 4)
        self.backend.settle_attempt(started, status_code=status_code, error=error, duration=duration)

    def on_event(self, event: Event) -> None:
        if isinstance(event, WasReset):
            self.cancel()

    def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()

    def in_flight(self) -> int:
        return len(self.tasks)
