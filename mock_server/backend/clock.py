"""Time is one object: a clock (real with an offset, or manual) and a scheduler keyed on its time.

Everything that waits (variation completion, webhook retries, rate-limit windows, upload expiry,
the backfill horizon) reads ``Clock.now()``; everything that happens later is a ``Work`` record on the
``Scheduler``. ``advance(seconds)`` moves either kind of clock and runs every due work in
time order before it returns, which is what makes tests instant and deterministic.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Literal

from mock_server.backend.work import Work, WorkKind

if TYPE_CHECKING:
    from mock_server.store import Store

logger = logging.getLogger("mock_server")

START = 1_700_000_000.0
"""Where a manual clock starts (2023-11-14): fixed so seeded runs give the same timestamps."""


class Clock:
    def __init__(self, mode: Literal["real", "manual"] = "real") -> None:
        self.mode = mode
        self._offset = 0.0
        self._manual = START
        self._last = 0.0

    def now(self) -> float:
        """Seconds since the epoch, as the API's timestamps; never less than a time it gave before (a
        wall clock stepped back waits for it), so records are made in time order (see ``drop_before``)."""
        if self.mode == "manual":
            return self._manual
        now = time.time() + self._offset
        if now > self._last:  # not max(): a dozen reads per request (hot path)
            self._last = now
        return self._last

    def set_mode(self, mode: Literal["real", "manual"]) -> None:
        """Switch kinds without a jump: the new clock starts at the old one's time."""
        now = self.now()
        self.mode = mode
        self._manual, self._offset, self._last = now, now - time.time(), now

    def shift(self, seconds: float) -> None:
        if self.mode == "manual":
            self._manual += seconds
        else:
            self._offset += seconds

    def state(self) -> dict[str, object]:
        """What another process needs to follow this clock (``adopt``): plain JSON data."""
        return {"mode": self.mode, "offset": self._offset, "manual": self._manual}

    def adopt(self, state: dict[str, object]) -> None:
        mode, offset, manual = state.get("mode"), state.get("offset"), state.get("manual")
        if mode in ("real", "manual") and isinstance(offset, int | float) and isinstance(manual, int | float):
            self.mode, self._offset, self._manual = mode, float(offset), float(manual)


class Scheduler:
    """Work records at clock times, kept in the store; ``run_due`` claims and runs what fell due.

    In manual mode only ``advance`` (and a switch of mode) runs work. In real mode the runtime arms
    one loop timer for ``next_due`` (it hears of each new earliest time through ``on_schedule``).
    """

    def __init__(self, clock: Clock, store: Store, runners: Mapping[WorkKind, Callable[[Work], None]]) -> None:
        self.clock, self.store, self.runners = clock, store, runners
        """``runners``: what runs a work of each kind (the backend's handlers)."""
        self.on_schedule: Callable[[float], None] = _ignore
        """Told the due time of each new work (the runtime's timer); ignored without a runtime."""
        self.on_shift: Callable[[], None] = _nothing
        """Told the clock moved, before due work runs (the backend shares the clock's state)."""

    def at(self, due: float, kind: WorkKind, *key: str) -> None:
        self.store.schedule(Work(due, kind, key))
        self.on_schedule(due)

    def stored(self, works: list[Work]) -> None:
        """Work a store step that does more kept (``Store.start_generation``): tell the timer."""
        for work in works:
            self.on_schedule(work.due)

    def later(self, delay: float, kind: WorkKind, *key: str) -> None:
        self.at(self.clock.now() + delay, kind, *key)

    def advance(self, seconds: float) -> int:
        """Move the clock by ``seconds`` and run what fell due; returns how many works ran."""
        if not 0 <= seconds < float("inf"):
            raise ValueError("the clock only moves forward, by a finite number of seconds")
        self.store.settle()  # runs of due work that wait for the store end theirs first (what they claimed)
        self.clock.shift(seconds)
        self.on_shift()
        return self.run_due()

    def run_due(self) -> int:
        """Claim and run every due work, each by its kind's runner; how many ran (watches, bookkeeping, not
        counted). A failing work is a mock bug: it is logged, and the clock keeps running everything else."""
        ran, runners, claim, clock = 0, self.runners, self.store.claim_due, self.clock
        work = claim(clock.now())
        while work is not None:
            try:
                runners[work.kind](work)
            except Exception:
                logger.exception("scheduled work %r failed", work)
            ran += work.kind != "webhook_watch"
            work = claim(clock.now(), done=work)  # its lease ends as the next is claimed
        return ran

    def next_due(self) -> float | None:
        return self.store.next_due()

    def pending(self) -> int:
        return self.store.pending_work()


def _ignore(due: float) -> None:
    return None


def _nothing() -> None:
    return None
