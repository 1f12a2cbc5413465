"""Retention: finished records older than ``Settings.retention`` are dropped, so state is bounded in time.

What goes is the store's contract (``Store.drop_before``). When: a sweep runs at most once per
``interval`` of the mock's clock, checked on every journaled request and after every clock advance
or timer run. The check is one clock read and a comparison, so it costs nothing on the hot path;
a sweep on the memory store costs what it drops. A perpetual ``Work`` on the scheduler would do
the same on an idle mock, but it would keep ``pending_work`` above zero for ever (tests and
benchmarks wait for it to reach zero) and make every manual ``advance`` run it; an idle mock does
not grow, so sweeping on activity loses nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mock_server.backend.clock import Clock

if TYPE_CHECKING:
    from mock_server.store import Store

MAX_INTERVAL = 60.0
"""Seconds between sweeps at most (with the default 24 h retention: a minute)."""


class Retention:
    def __init__(self, store: Store, clock: Clock, retention: float) -> None:
        self.store, self.clock, self.retention = store, clock, retention
        self.interval = min(MAX_INTERVAL, retention / 10)
        """Records live between ``retention`` and ``retention + interval`` seconds."""
        self._next = clock.now() + self.interval
        self.dropped: dict[str, int] = {}
        """How many of each kind sweeps dropped since the last reset."""

    def tick(self, now: float | None = None) -> None:
        """Sweep if one is due by the clock (``now``: its reading, when the caller has one)."""
        if (self.clock.now() if now is None else now) >= self._next:
            self.sweep()

    def sweep(self) -> dict[str, int]:
        """Drop what is older than the retention now; how many of each kind went."""
        now = self.clock.now()
        self._next = now + self.interval
        gone = self.store.drop_before(now - self.retention)
        for kind, count in gone.items():
            self.dropped[kind] = self.dropped.get(kind, 0) + count
        return gone
