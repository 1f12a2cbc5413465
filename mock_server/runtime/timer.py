"""The real clock's one loop timer: armed for the earliest pending work, it makes the backend run it.

In manual mode nothing is armed (only ``advance`` runs work). Under load the timer is never
postponed: it is re-armed only when new work falls due earlier than it.
"""

from __future__ import annotations

import asyncio
import logging

from mock_server.backend import Backend, Event, Scheduled, WasReset
from mock_server.runtime.suspending import Outcome, can_run_on, start
from mock_server.store import StoreUnavailable

logger = logging.getLogger("mock_server.runtime")


class Timer:
    """One asyncio timer armed for the earliest pending work (real clock only)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.Handle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self._armed_due = float("inf")
        """The clock time the armed timer was set for (inf: none armed)."""
        self._runs = 0
        """Runs of due work under way (``_start_run``)."""
        self._epoch = 0
        """Counts ``attach``: a run that ends after its loop was replaced is not one of ``_runs``."""
        self._again = False
        self.soon = backend.feed() is None
        """Work already due runs by ``call_soon`` (no loop-time reading, no timer heap), unless the store is
        shared: there the feed brings this process's own ``Scheduled`` back in a later I/O round, and a loop
        timer (which fires after that round's I/O) is found armed by it, where a ``call_soon`` callback would
        have fired already and the echo would run the scheduler again (a Redis round trip per POST)."""

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """The app's lifespan began on ``loop``: runs left waiting on an earlier loop never end, so none counts."""
        self.loop, self._runs, self._again, self._epoch = loop, 0, False, self._epoch + 1

    def on_event(self, event: Event) -> None:
        if isinstance(event, Scheduled):
            self.on_scheduled(event)
        elif isinstance(event, WasReset):
            self.cancel()

    def on_scheduled(self, event: Scheduled) -> None:
        """New work at ``event.due``: re-arm unless the armed timer already fires for it or earlier.

        The shortcut is the hot path (every variation schedules a work): an uncancelled timer armed on
        this runtime's loop for a clock time at or before ``due``, with the clock not moved since, will
        run it, so nothing needs reading. Anything else takes ``arm``, which compares loop times, for
        ``event.due`` itself: every new work is told here (a shared store's others' too, through the
        feed), and after due work ran the event carries the store's next due time, so the earliest
        pending time is known without asking the store again."""
        timer = self._timer
        if (
            not event.clock_moved
            and event.due >= self._armed_due
            and timer is not None
            and self._timer_loop is self.loop
            and not timer.cancelled()
        ):
            return
        self.arm(event.due, clock_moved=event.clock_moved)

    def arm(self, due: float | None = None, *, clock_moved: bool = True) -> None:
        """Arm the loop timer for ``due`` (None: the earliest pending work, read) unless one is armed early
        enough already."""
        if due is None:
            due = self.backend.next_due()
        if due is None or self.backend.clock_mode() == "manual":
            return
        loop = self.loop or _running_loop()
        if loop is None:
            return
        delay = due - self.backend.now()
        timer = self._timer
        if timer is not None:
            if self._timer_loop is loop and not timer.cancelled() and _fires_by(timer, loop, delay):
                # already armed early enough: re-arming would postpone due work under load. Its clock
                # time is unknown if the clock moved since: -inf sends every schedule here until it fires
                self._armed_due = float("-inf") if clock_moved else min(self._armed_due, due)
                return
            timer.cancel()
        # work due already (a zero-latency variation, each POST) is run in the loop's next round (``soon``)
        soon = delay <= 0 and self.soon
        self._timer = loop.call_soon(self._fire) if soon else loop.call_at(loop.time() + max(0.0, delay), self._fire)
        self._timer_loop, self._armed_due = loop, due

    def cancel(self) -> None:
        self._armed_due = float("inf")
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self) -> None:
        self._timer, self._armed_due = None, float("inf")
        self.run_due()

    def run_due(self) -> None:
        """Run the work due now: where the store suspends, in a runner (``_start_run``), so a backlog of due
        work (the periodic sweep finds one under load) never holds the loop until it is done; else at once."""
        loop = self.loop or asyncio.get_running_loop()
        if not self.backend.suspends or not can_run_on(loop):
            self.backend.run_due()
        else:
            self._start_run(loop)

    RUNS = 64
    """Runs of due work at once on a store that suspends (``Backend.suspends``): each claims its own work,
    so while one waits for Redis another's step is on its way, and completions keep up with requests.
    With 32 connections of zero-latency POSTs, 8 runs let about half the work wait past the load's end
    (a once-a-second sweep used to drain it, holding the loop); 64 leave next to none. An idle run is
    a pooled greenlet: a few KB."""

    def _start_run(self, loop: asyncio.AbstractEventLoop) -> None:
        """``run_due`` in a runner (``start``): its store waits let the loop serve requests, and the other
        runs, meanwhile. A fire while ``RUNS`` are under way makes the next run to end start another."""
        if self._runs >= self.RUNS:
            self._again = True
            return
        self._runs += 1
        self._again = False
        epoch = self._epoch
        start(loop, self.backend.run_due, lambda outcome: self._run_ended(loop, epoch, outcome))

    def _run_ended(self, loop: asyncio.AbstractEventLoop, epoch: int, outcome: Outcome[int]) -> None:
        """Inside the run's runner when it waited: nothing here switches (the next run starts from the loop)."""
        if epoch != self._epoch:
            return
        self._runs -= 1
        if isinstance(outcome.error, StoreUnavailable):  # Redis away: one line a run (the sweep's each second)
            logger.warning("running due work failed: %s", outcome.error)
        elif outcome.error is not None:
            logger.error("running due work failed", exc_info=outcome.error)
        if self._again and not loop.is_closed():
            loop.call_soon(self._start_run, loop)


def _fires_by(timer: asyncio.Handle, loop: asyncio.AbstractEventLoop, delay: float) -> bool:
    """Whether ``timer`` (a callback of ``call_soon`` or a loop timer) runs no later than ``delay`` seconds
    from now: a ``call_soon`` callback runs in the loop's next round, before any timer."""
    return not isinstance(timer, asyncio.TimerHandle) or timer.when() <= loop.time() + max(0.0, delay)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
