"""Time is one object: a clock (real with an offset, or manual) and a scheduler keyed on its time.

Everything that waits (variation completion, webhook retries, rate-limit windows, upload expiry,
the backfill horizon) reads ``Clock.now()``; everything that happens later is a callback on the
``Scheduler``. ``advance(seconds)`` moves either kind of clock and runs every due callback in
time order before it returns, which is what makes tests instant and deterministic.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

logger = logging.getLogger("mock_server")

START = 1_700_000_000.0
"""Where a manual clock starts (2023-11-14): fixed so seeded runs give the same timestamps."""


class Clock:
    def __init__(self, mode: Literal["real", "manual"] = "real") -> None:
        self.mode = mode
        self._offset = 0.0
        self._manual = START

    def now(self) -> float:
        """Seconds since the epoch, as the API's timestamps."""
        if self.mode == "manual":
            return self._manual
        return time.time() + self._offset

    def set_mode(self, mode: Literal["real", "manual"]) -> None:
        """Switch kinds without a jump: the new clock starts at the old one's time."""
        now = self.now()
        self.mode = mode
        self._manual, self._offset = now, now - time.time()

    def shift(self, seconds: float) -> None:
        if self.mode == "manual":
            self._manual += seconds
        else:
            self._offset += seconds


@dataclass(order=True, slots=True)
class _Entry:
    due: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class Scheduler:
    """Callbacks at clock times. In real mode a loop timer fires them; in manual mode ``advance`` does."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[_Entry] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def at(self, due: float, callback: Callable[[], None]) -> _Entry:
        entry = _Entry(due, next(self._seq), callback)
        heapq.heappush(self._heap, entry)
        self._arm()
        return entry

    def later(self, delay: float, callback: Callable[[], None]) -> _Entry:
        return self.at(self.clock.now() + delay, callback)

    def advance(self, seconds: float) -> int:
        """Move the clock by ``seconds`` and run what fell due; returns how many callbacks ran."""
        if not 0 <= seconds < float("inf"):
            raise ValueError("the clock only moves forward, by a finite number of seconds")
        self.clock.shift(seconds)
        return self.run_due()

    def run_due(self) -> int:
        ran = 0
        while self._heap and self._heap[0].due <= self.clock.now():
            entry = heapq.heappop(self._heap)
            if not entry.cancelled:
                _run_logged(entry.callback)
                ran += 1
        self._arm()
        return ran

    def pending(self) -> int:
        return sum(1 for entry in self._heap if not entry.cancelled)

    def clear(self) -> None:
        self._heap.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self) -> None:
        if self.clock.mode == "manual" or not self._heap:
            return
        loop = self.loop or _running_loop()
        if loop is None:
            return
        when = loop.time() + max(0.0, self._heap[0].due - self.clock.now())
        if self._timer is not None:
            if self._timer_loop is loop and not self._timer.cancelled() and self._timer.when() <= when:
                return  # already armed early enough: re-arming would postpone due callbacks under load
            self._timer.cancel()
        self._timer, self._timer_loop = loop.call_at(when, self._fire), loop

    def _fire(self) -> None:
        self._timer = None
        self.run_due()


def _run_logged(callback: Callable[[], None]) -> None:
    """A failing callback is a mock bug: log it, keep the clock running for everything else."""
    try:
        callback()
    except Exception:
        logger.exception("scheduled callback %r failed", callback)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
