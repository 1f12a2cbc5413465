"""``MockControl``: the control API as a Python object, safe to call from any thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from mock_server.backend.service import Backend

T = TypeVar("T")
CALL_TIMEOUT = 30.0


class MockControl:
    """Drive a running mock: reset, accounts, clock, faults, journal, events, deliveries.

    State lives on the app's event loop; a call from another thread (a sync test, the respx
    bridge's caller) is handed to that loop and waits for its answer, so it never races a request.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def _run(self, fn: Callable[[], T]) -> T:
        loop = self.backend.scheduler.loop
        if loop is None or not loop.is_running() or _on_loop(loop):
            return fn()

        async def call() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(CALL_TIMEOUT)

    def reset(self, seed: int | None = None) -> None:
        """Empty all state (users, files, jobs, notifications, webhooks, faults, journal)."""
        self._run(lambda: self.backend.reset(seed if seed is not None else self.backend.settings.seed))

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

        def apply() -> dict[str, Any]:
            user = self.backend.set_account(
                token, plan=plan, credits=credits, entitlements=entitlements, identities=identities
            )
            return self.backend.account_view(user)

        return self._run(apply)

    def account(self, token: str) -> dict[str, Any] | None:
        def view() -> dict[str, Any] | None:
            user = self.backend.accounts.get(token)
            return None if user is None else self.backend.account_view(user)

        return self._run(view)

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the mock's clock; due completions, retries and expiries run before this returns."""
        return self._run(lambda: self.backend.advance(seconds))

    def set_clock(self, mode: str) -> None:
        if mode not in ("real", "manual"):
            raise ValueError(f"clock mode must be 'real' or 'manual', not {mode!r}")
        chosen: Literal["real", "manual"] = "manual" if mode == "manual" else "real"

        def switch() -> None:
            self.backend.clock.set_mode(chosen)
            self.backend.scheduler.run_due()

        self._run(switch)

    def now(self) -> float:
        return self._run(self.backend.clock.now)

    def journal(self, *, user: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """Every API request: method, path, user, status, code and its ``piktid_spec`` violations."""
        return self._run(lambda: self.backend.journal.query(user=user, path=path))

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
        chosen = kind or ("status" if status is not None else "fail_variation")
        if chosen in ("drop_stream", "webhook_timeout"):
            path = None
        return self._run(
            lambda: self.backend.faults.add(
                chosen,
                method=method,
                path=path,
                token=token,
                status=status,
                delay=delay,
                times=times,
                probability=probability,
            ).as_json()
        )

    def clear_faults(self) -> None:
        self._run(self.backend.faults.clear)

    def notifications(self, user: str | None = None) -> list[dict[str, Any]]:
        return self._run(
            lambda: [
                {**n.as_json(), "user": n.owner, "deleted": n.deleted}
                for n in self.backend.notifications.all(None if user is None else [user])
            ]
        )

    def deliveries(self, user: str | None = None) -> list[dict[str, Any]]:
        return self._run(lambda: self.backend.webhooks.log(user))

    def open_streams(self, user: str | None = None) -> int:
        """SSE streams open now (of ``user``): a client that closes its stream frees it at once."""
        return self._run(
            lambda: sum(1 for sub in self.backend.notifications.subscriptions if user is None or sub.owner == user)
        )


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return getattr(loop, "_thread_id", None) == threading.get_ident()
