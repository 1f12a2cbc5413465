"""Suspension points: where a store call may wait for Redis with the event loop serving other requests.

The store's methods are synchronous (``Store``), so a Redis store's round trip would block the event
loop while redis-server works: one worker would spend its time in turns, its own CPU, Redis's, the
wake-ups. ``mock_server.runtime.suspending`` runs a backend call in a ``Suspendable`` greenlet (the
library SQLAlchemy's asyncio layer runs its synchronous ORM on, for the same reason); a store call
inside it that may wait (``Wire.run(..., suspend=True)``) hands a future to the loop through
``suspend`` and gets the reply back when the loop resumes it. Everything between two waits runs
without interruption, as before: only calls a store marks as suspending are points where other
requests may run.

This module holds no loop: the greenlet carries the loop it runs for (``Suspendable.loop``), set by
the runtime that resumes it.
"""

from __future__ import annotations

from typing import Any

from greenlet import getcurrent, greenlet  # type: ignore[import-untyped]  # ships no type information


class Suspendable(greenlet):  # type: ignore[misc]  # greenlet is untyped
    """A greenlet a backend call runs in: only inside one may a store call wait by suspending."""

    loop: Any = None
    """The event loop that resumes it (the runtime sets it): where a suspended call's future is made."""
    done: Any = None
    """What its call ended with, left here for the runtime to take (``mock_server.runtime.suspending``)."""


def current() -> object:
    """The running greenlet (the thread's main one outside ``Suspendable``): whose a store's per-run state is."""
    me: object = getcurrent()
    return me


def suspendable() -> Suspendable | None:
    """The ``Suspendable`` running now, if any (then ``suspend`` may be called)."""
    me = getcurrent()
    return me if type(me) is Suspendable else None


def suspend(future: Any) -> Any:
    """Give the loop back until ``future`` (made on the running ``Suspendable``'s loop) is done: its result
    (its exception raised here)."""
    return getcurrent().parent.switch(future)
