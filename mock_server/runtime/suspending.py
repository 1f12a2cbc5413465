"""``suspending``: run a synchronous backend call so that a shared store's waits give the loop back.

A call run through ``suspending`` runs in a ``Suspendable`` greenlet; when a store call inside it
waits for Redis (``mock_server.store.suspend``) this coroutine awaits the future it handed over, so
the loop serves other requests meanwhile, then resumes the call with the reply. One Redis-backed
worker then keeps its CPU and Redis's busy at once instead of in turns.

A caller may rely on: the result or exception of ``call`` as if called directly; exceptions a wait
ends with (a lost connection, a cancelled request) raised inside ``call`` at the store call that
waited, so the store's own handling (503 for an unreachable Redis) applies. On a loop that
``moves_between_threads`` (the test harness lends its loop to calling threads, and a greenlet lives
in one thread) the call runs straight through, each wait blocking as it always did.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from greenlet import GreenletExit, getcurrent  # type: ignore[import-untyped]  # ships no type information

from mock_server.store import Suspendable

T = TypeVar("T")


class _Done:
    """What a runner hands back when its call ended: the result, or the exception it raised."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any, error: BaseException | None) -> None:
        self.value, self.error = value, error


def _serve(call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A runner's life: call after call, each handed in by ``suspending`` (a new greenlet costs Python a
    fresh frame stack: a 16 KiB ``mmap`` and ``munmap`` per call). Its outcome is left on the runner
    (``done``), and nothing of a call stays referenced while the runner waits in the pool (a request's
    body, parsed, may weigh megabytes)."""
    me = getcurrent()
    while True:
        try:
            me.done = _Done(call(*args, **kwargs), None)
        except GreenletExit:  # the runner is being collected (its loop is gone): it ends
            raise
        except BaseException as exc:  # handed to the caller, raised there
            me.done = _Done(None, exc)
        del call, args, kwargs
        call, args, kwargs = me.parent.switch(None)


class _Pool(threading.local):
    """Runners waiting for a call, per thread (a greenlet only ever runs in the thread that made it)."""

    def __init__(self) -> None:
        self.idle: list[Suspendable] = []


_pool = _Pool()
IDLE_KEPT = 64
"""Runners kept for reuse per thread: more than the calls ever suspended at once under load."""


async def suspending(call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``call(*args, **kwargs)``, awaiting each future a store call inside it suspends on."""
    loop = asyncio.get_running_loop()
    if not can_run_on(loop):
        return call(*args, **kwargs)
    idle = _pool.idle
    runner = idle.pop() if idle else Suspendable(_serve)
    runner.loop = loop
    waiting = runner.switch(call, args, kwargs)
    while waiting is not None:  # a future the call's store wait handed over; None: the call ended
        try:
            value = await waiting
        except BaseException as exc:  # raised where the store waited (CancelledError included)
            waiting = runner.throw(exc)
        else:
            waiting = runner.switch(value)
    outcome: _Done = runner.done
    runner.done = None
    if len(idle) < IDLE_KEPT:
        idle.append(runner)
    if outcome.error is not None:
        raise outcome.error
    result: T = outcome.value
    return result


_MOVES = "_piktid_moves_between_threads"


def moves_between_threads(loop: asyncio.AbstractEventLoop) -> None:
    """Mark ``loop`` as one whose callbacks run on more than one thread (the test harness's ``LoopThread``
    lends it to calling threads): a greenlet lives in one thread, so nothing suspends on that loop."""
    setattr(loop, _MOVES, True)


def can_run_on(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``suspending`` suspends on ``loop`` (it does not ``moves_between_threads``)."""
    return not getattr(loop, _MOVES, False)
