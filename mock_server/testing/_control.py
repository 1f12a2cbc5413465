"""``MockControl``: the control service as a Python object, safe to call from any thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from mock_server.backend import Backend, ControlService, fault_fields
from mock_server.runtime import runtime_for
from mock_server.testing._loop import loop_thread_of

T = TypeVar("T")
CALL_TIMEOUT = 30.0


class MockControl:
    """Drive a running mock: reset, accounts, clock, faults, journal, events, deliveries.

    Each method is one ``ControlService`` operation, the same the HTTP control API runs
    (``RemoteControl`` drives that API with these methods and signatures). State lives on the
    app's event loop; a call from another thread (a sync test, the respx bridge's caller) runs as a
    task of that loop and waits for its answer, so it never races a request: on the calling thread
    while a respx bridge's loop thread sleeps (``testing/_loop.py``), else on the loop's own thread.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.service = ControlService(backend)
        self.runtime = runtime_for(backend)

    def _run(self, fn: Callable[[], T]) -> T:
        loop = self.runtime.loop
        if loop is None or not loop.is_running() or _on_loop(loop):
            return fn()

        async def call() -> T:
            return fn()

        held = loop_thread_of(loop)
        if held is not None:  # the respx bridge's loop: run on this thread when it sleeps (no thread crossing)
            return held.submit(call()).result(CALL_TIMEOUT)
        return asyncio.run_coroutine_threadsafe(call(), loop).result(CALL_TIMEOUT)

    def call(self, fn: Callable[[Backend], T]) -> T:
        """``fn(backend)`` on the mock's event loop, where its state lives (for a ``Backend`` operation
        this class has no method for); waits for and returns its answer."""
        return self._run(lambda: fn(self.backend))

    def reset(self, seed: int | None = None) -> None:
        """Empty all state (users, files, jobs, notifications, webhooks, faults, journal)."""
        self._run(lambda: self.service.reset(seed))

    def set_account(
        self,
        token: str,
        *,
        plan: str | None = None,
        credits: float | None = None,
        entitlements: list[str] | None = None,
        identities: list[str] | None = None,
    ) -> dict[str, Any]:
        """Create or change a user (``identities``: names of new identities to give it); returns its view."""
        return self._run(
            lambda: self.service.set_account(
                token, plan=plan, credits=credits, entitlements=entitlements, identities=identities
            )
        )

    def account(self, token: str) -> dict[str, Any] | None:
        return self._run(lambda: self.service.account(token))

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the mock's clock; due completions, retries and expiries run before this returns."""
        return self._run(lambda: self.service.advance(seconds))

    def set_clock(self, mode: str) -> None:
        if mode not in ("real", "manual"):
            raise ValueError(f"clock mode must be 'real' or 'manual', not {mode!r}")
        chosen: Literal["real", "manual"] = "manual" if mode == "manual" else "real"
        self._run(lambda: self.service.set_clock(chosen))

    def now(self) -> float:
        return self._run(self.service.now)

    def journal(self, *, user: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """Every API request: method, path, user, status, code and its ``piktid_spec`` violations."""
        return self._run(lambda: self.service.journal(user=user, path=path))

    def fail_next(
        self,
        status: int | None = None,
        *,
        kind: str | None = None,
        path: str | None = "/edit-chat",
        method: str | None = None,
        token: str | None = None,
        times: int | None = 1,
        probability: float = 1.0,
        delay: float = 0.0,
    ) -> dict[str, Any]:
        """Add a fault rule: by default the next matching /edit-chat answers ``status``.

        ``kind`` picks another fault: ``latency``, ``fail_variation``, ``refusal``, ``drop_stream``,
        ``webhook_timeout`` (``path`` does not apply to the last two).
        """
        fields = fault_fields(
            status,
            kind=kind,
            path=path,
            method=method,
            token=token,
            times=times,
            probability=probability,
            delay=delay,
        )
        return self._run(lambda: self.service.add_fault(**fields))

    def clear_faults(self) -> None:
        self._run(self.service.clear_faults)

    def notifications(self, user: str | None = None) -> list[dict[str, Any]]:
        return self._run(lambda: self.service.notifications(user))

    def deliveries(self, user: str | None = None) -> list[dict[str, Any]]:
        return self._run(lambda: self.service.deliveries(user))

    def pending(self) -> int:
        """Scheduled work not yet run (variation completions, webhook retries)."""
        return self._run(self.service.backend.pending_work)

    def open_streams(self, user: str | None = None) -> int:
        """SSE streams open now (of ``user``): a client that closes its stream frees it at once."""
        return self._run(lambda: self.runtime.streams.count(user))

    def deliveries_in_flight(self) -> int:
        """Webhook attempts being made now (a reset cancels them)."""
        return self._run(self.runtime.deliverer.in_flight)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return getattr(loop, "_thread_id", None) == threading.get_ident()
