"""``LoopThread``: an event loop in a daemon thread that a calling thread may drive while it sleeps.

A sync call handed to a loop thread crosses threads twice (a self-pipe wake-up there, a lock
wake-up back), and on a busy machine each crossing waits for the scheduler to give the other thread
a core: that, not the app, was most of what a bridged call cost. So when the loop's thread is asleep
in its selector, ``submit`` runs the coroutine on the calling thread instead: it takes the loop's
*baton* (a lock the loop thread holds except while it waits in ``select``), runs the loop there
until it is idle (nothing ready, no timer due), and hands it back. The loop keeps its semantics:
one thread at a time runs its callbacks, timers that fall due during the turn run in it (a job that
completes at once has completed when the call returns, as the loop thread would have done before
the caller's next call), and work left for later (a timer, a socket, a worker thread) is the loop
thread's, woken when it would otherwise sleep past it. Sockets are only ever polled by the loop
thread: a calling thread's turn skips the selector.

The loop thread is used instead (the old two crossings) when it is busy or waking, when the calling
thread already runs an event loop, or while the loop shuts down.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import math
import selectors
import threading
import time
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

from mock_server.runtime import moves_between_threads

T = TypeVar("T")

MAX_TURNS = 1000
"""Loop iterations one calling thread's turn may run before it hands the loop back (and wakes its
thread): a loop that never idles (a task spinning on ``sleep(0)``) must not keep the caller."""
WAKE_SLACK = 1e-4
"""Seconds by which work left after a turn must precede the loop thread's own wake-up to wake it early
(both are read from the monotonic clock microseconds apart; an equal deadline needs no wake-up)."""


class _BatonSelector(selectors.BaseSelector):
    """The loop's selector: releases the baton while the loop thread waits, and never blocks a borrower.

    On the loop thread, ``select`` releases the baton for the wait and takes it back after, noting until
    when the thread sleeps. On a calling thread's turn, ``select`` does not poll at all: the timeout
    asyncio asks for says whether the loop is idle (no timeout 0), which ends the turn.
    """

    def __init__(self) -> None:
        self._inner = selectors.DefaultSelector()
        self.baton = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.driver: int | None = None
        """Thread id of the calling thread running a turn (None: the loop thread runs the loop)."""
        self.turns = 0
        self.waking = False
        """The loop thread's wait ended and it wants the baton back: callers leave the loop to it."""
        self.sleeps_until = -math.inf
        """Monotonic time the loop thread's current wait ends (inf: no timeout; -inf: not waiting)."""
        self.next_due = math.inf
        """After a turn: monotonic time the loop next has work (-inf: it has work now)."""
        self.fds_changed = False
        self.closing = False
        """Set by ``LoopThread.stop``: the loop thread stops when it next wakes (a turn may have run the stop)."""

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        self._note_change()
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        self._note_change()
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        self._note_change()
        return self._inner.modify(fileobj, events, data)

    def _note_change(self) -> None:
        """A socket watched from a turn: the sleeping loop thread may not watch it yet (select, poll)."""
        if self.driver is not None:
            self.fds_changed = True

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()

    def close(self) -> None:
        self._inner.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if self.driver is not None and self.driver == threading.get_ident():
            return self._turn(timeout)
        self.sleeps_until = math.inf if timeout is None else time.monotonic() + timeout
        self.baton.release()
        try:
            return self._inner.select(timeout)
        finally:
            self.waking = True
            self.baton.acquire()
            self.waking = False
            self.sleeps_until = -math.inf
            if self.closing and self.loop is not None:
                self.loop.stop()

    def _turn(self, timeout: float | None) -> list[tuple[selectors.SelectorKey, int]]:
        """One iteration of a calling thread's turn: stop at the first idle one (or after ``MAX_TURNS``)."""
        self.turns += 1
        if timeout is None or timeout > 0:
            self.next_due = math.inf if timeout is None else time.monotonic() + timeout
        elif self.turns >= MAX_TURNS:
            self.next_due = -math.inf
        else:
            return []
        if self.loop is not None:
            self.loop.stop()
        return []


_THREADS: dict[asyncio.AbstractEventLoop, LoopThread] = {}
"""Each running ``LoopThread`` by its loop, so code holding only the loop (``MockControl``) can take a turn."""


def loop_thread_of(loop: asyncio.AbstractEventLoop) -> LoopThread | None:
    """The ``LoopThread`` running ``loop``, or None (a loop of another kind: uvicorn's, a test's own)."""
    return _THREADS.get(loop)


def _noop() -> None:
    """Scheduled from another thread only to wake the loop thread (its selector's self-pipe)."""


class LoopThread:
    """An event loop running forever in a daemon thread, which callers may drive while it sleeps."""

    def __init__(self) -> None:
        self.selector = _BatonSelector()
        self.loop = asyncio.SelectorEventLoop(self.selector)
        moves_between_threads(self.loop)
        self.selector.loop = self.loop
        _THREADS[self.loop] = self
        self.thread = threading.Thread(target=self._run, name="piktid-mock-bridge", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with self.selector.baton:
            asyncio.set_event_loop(self.loop)
            try:
                while not self.selector.closing:
                    self.loop.run_forever()
            finally:
                _THREADS.pop(self.loop, None)
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
                self.loop.close()

    def alive(self) -> bool:
        return self.thread.is_alive() and not self.selector.closing and not self.loop.is_closed()

    def stop(self) -> None:
        self.selector.closing = True
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10.0)

    def on_loop(self) -> bool:
        """True on the loop's own thread, or inside a calling thread's turn (code the loop runs)."""
        return threading.current_thread() is self.thread or asyncio._get_running_loop() is self.loop

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` as a task of the loop: here, until the loop is idle, when the loop thread sleeps;
        else on the loop thread. The future is done once the task is (often before this returns)."""
        if self._take_baton():
            try:
                return self._run_here(coro)
            finally:
                self._give_baton()
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def _take_baton(self) -> bool:
        """The baton, when the loop thread waits in its selector and this thread runs no loop of its own."""
        selector = self.selector
        if selector.waking or selector.closing or asyncio._get_running_loop() is not None:
            return False
        if not selector.baton.acquire(blocking=False):
            return False
        if selector.waking or selector.closing or self.loop.is_closed():
            selector.baton.release()
            return False
        return True

    def _run_here(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """One turn: the task is made and the loop run on this thread until idle (``_BatonSelector._turn``).

        The task is made by a callback, as ``run_coroutine_threadsafe`` makes it on the loop thread: timers
        already due (a completion the sleeping loop thread has not run yet) run before the call starts, so
        a call sees what the loop thread would have shown it. ``run_forever`` refuses a loop that looks
        running, so the loop thread's id is set aside for the turn (``run_forever`` puts this thread's
        there, as asyncio's debug checks expect) and restored.
        """
        loop, selector = self.loop, self.selector
        made: list[asyncio.Task[T]] = []
        owner = loop._thread_id  # type: ignore[attr-defined]  # asyncio's record of the thread running the loop
        loop._thread_id = None  # type: ignore[attr-defined]
        selector.driver, selector.turns, selector.fds_changed = threading.get_ident(), 0, False
        selector.next_due = -math.inf  # a turn ended by anything but idleness leaves the loop thread to look
        try:
            loop.call_soon(lambda: made.append(loop.create_task(coro)))
            loop.run_forever()
        finally:
            selector.driver = None
            loop._thread_id = owner  # type: ignore[attr-defined]
        if not made:  # the turn ended before its first iteration ran (not seen: the first one runs it)
            coro.close()
            raise RuntimeError("piktid-mock: the loop's turn ended before the call started")
        return _future_of(made[0])

    def _give_baton(self) -> None:
        """Hand the loop back; wake its thread if work is left that it would sleep past."""
        selector = self.selector
        wake = selector.fds_changed or selector.next_due < selector.sleeps_until - WAKE_SLACK
        selector.baton.release()
        if wake:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(_noop)


def _future_of(task: asyncio.Task[T]) -> concurrent.futures.Future[T]:
    """A thread-safe future settled with ``task`` (at once when the task is already done)."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def settle(done: asyncio.Task[T]) -> None:
        if done.cancelled():
            future.cancel()
        elif (error := done.exception()) is not None:
            future.set_exception(error)
        else:
            future.set_result(done.result())

    if task.done():
        settle(task)
    else:
        task.add_done_callback(settle)
    return future
