"""The real clock's one loop timer: armed for the earliest pending work, it makes the backend run it.

In manual mode nothing is armed (only ``advance`` runs work). Under load the timer is never
postponed: it is re-armed only when new work falls due earlier than it.
"""

from __future__ import annotations

import asyncio

from mock_server.backend import Backend, Event, Scheduled, WasReset


class Timer:
    """One asyncio timer armed for the earliest pending work (real clock only)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    def on_event(self, event: Event) -> None:
        if isinstance(event, Scheduled):
            self.arm()
        elif isinstance(event, WasReset):
            self.cancel()

    def arm(self) -> None:
        due = self.backend.next_due()
        if due is None or self.backend.clock_mode() == "manual":
            return
        loop = self.loop or _running_loop()
        if loop is None:
            return
        when = loop.time() + max(0.0, due - self.backend.now())
        if self._timer is not None:
            if self._timer_loop is loop and not self._timer.cancelled() and self._timer.when() <= when:
                return  # already armed early enough: re-arming would postpone due work under load
            self._timer.cancel()
        self._timer, self._timer_loop = loop.call_at(when, self._fire), loop

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self) -> None:
        self._timer = None
        self.backend.run_due()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
