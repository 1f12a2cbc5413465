"""``suspending`` and ``start``: run a synchronous backend call so that a shared store's waits give the
loop back.

A call runs in a ``Suspendable`` greenlet; when a store call inside it waits for Redis
(``mock_server.store.suspend``) the greenlet switches back to the loop, which serves other requests
meanwhile, and the Wire's reader switches into it again with the reply. One Redis-backed worker then
keeps its CPU and Redis's busy at once instead of in turns. ``suspending`` is for a coroutine (an
endpoint): it awaits one future, set when the call ends, and only if the call waited at all.
``start`` is for a loop callback (the timer's runs of due work): no coroutine, the call's end is
handed to ``finish``.

A caller may rely on: the result or exception of ``call`` as if called directly, and exceptions a
wait ends with (a lost connection) raised inside ``call`` at the store call that waited, so the
store's own handling (503 for an unreachable Redis) applies. A request cancelled while its call waits
leaves the call to end on its own (a store step is never left half done). On a loop that
``moves_between_threads`` (the test harness lends its loop to calling threads, and a greenlet lives
in one thread) the call runs straight through, each wait blocking as it always did.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from greenlet import GreenletExit, getcurrent  # type: ignore[import-untyped]  # ships no type information

from mock_server.store import SUSPENDED, Suspendable

T = TypeVar("T")


class Outcome(Generic[T]):
    """How a call ended: its result, or the exception it raised (``unwrap`` gives the one or raises the other)."""

    __slots__ = ("error", "value")

    def __init__(self, value: T | None, error: BaseException | None) -> None:
        self.value, self.error = value, error

    def unwrap(self) -> T:
        if self.error is not None:
            raise self.error
        value: T = self.value  # type: ignore[assignment]  # None only with an error
        return value


class _Pool(threading.local):
    """Runners waiting for a call, per thread (a greenlet only ever runs in the thread that made it)."""

    def __init__(self) -> None:
        self.idle: list[Suspendable] = []


_pool = _Pool()
IDLE_KEPT = 64
"""Runners kept for reuse per thread: more than the calls ever suspended at once under load."""


def _serve(call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """A runner's life: call after call (a new greenlet costs Python a fresh frame stack: a 16 KiB ``mmap``
    and ``munmap`` per call). Nothing of a call stays referenced while the runner waits in the pool (a
    request's body, parsed, may weigh megabytes)."""
    me, idle = getcurrent(), _pool.idle
    while True:
        try:
            outcome: Outcome[Any] = Outcome(call(*args, **kwargs), None)
        except GreenletExit:  # the runner is being collected (its loop is gone): it ends
            raise
        except BaseException as exc:  # handed to the caller, raised there
            outcome = Outcome(None, exc)
        del call, args, kwargs
        finish, me.finish = me.finish, None
        if finish is None:  # ended without waiting: the starter takes it
            me.outcome = outcome
        else:  # the call waited: whoever started it left this to hear of its end
            finish(outcome)
        del finish, outcome
        if len(idle) < IDLE_KEPT:
            idle.append(me)
        call, args, kwargs = me.parent.switch(None)


def _run(
    loop: asyncio.AbstractEventLoop, call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``call`` in a runner until it ends (its ``Outcome``) or first waits (``SUSPENDED``)."""
    idle = _pool.idle
    runner = idle.pop() if idle else Suspendable(_serve)
    runner.loop = loop
    if runner.switch(call, args, kwargs) is SUSPENDED:
        return SUSPENDED, runner
    outcome, runner.outcome = runner.outcome, None
    return outcome, runner


async def suspending(call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``call(*args, **kwargs)``; the loop serves others while its store calls wait."""
    loop = asyncio.get_running_loop()
    if not can_run_on(loop):
        return call(*args, **kwargs)
    outcome, runner = _run(loop, call, args, kwargs)
    if outcome is SUSPENDED:
        ended: asyncio.Future[Outcome[T]] = loop.create_future()
        runner.finish = lambda result: None if ended.done() else ended.set_result(result)
        outcome = await ended
    done: Outcome[T] = outcome
    return done.unwrap()


def start(loop: asyncio.AbstractEventLoop, call: Callable[[], Any], finish: Callable[[Outcome[Any]], None]) -> None:
    """Run ``call()`` from a callback of ``loop`` (its thread, outside any greenlet); ``finish`` hears how it
    ended, inside the runner if it waited (so ``finish`` must not switch greenlets: schedule instead)."""
    outcome, runner = _run(loop, call, (), {})
    if outcome is SUSPENDED:
        runner.finish = finish
    else:
        finish(outcome)


_MOVES = "_piktid_moves_between_threads"


def moves_between_threads(loop: asyncio.AbstractEventLoop) -> None:
    """Mark ``loop`` as one whose callbacks run on more than one thread (the test harness's ``LoopThread``
    lends it to calling threads): a greenlet lives in one thread, so nothing suspends on that loop."""
    setattr(loop, _MOVES, True)


def can_run_on(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``suspending`` suspends on ``loop`` (it does not ``moves_between_threads``)."""
    return not getattr(loop, _MOVES, False)
