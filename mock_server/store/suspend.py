"""Suspension points: where a store call may wait for Redis with the event loop serving other requests.

The store's methods are synchronous (``Store``), so a Redis store's round trip would block the event
loop while redis-server works: one worker would spend its time in turns, its own CPU, Redis's, the
wake-ups. ``mock_server.runtime.suspending`` runs a backend call in a ``Suspendable`` greenlet (the
library SQLAlchemy's asyncio layer runs its synchronous ORM on, for the same reason); a store call
inside it that may wait (``Wire.run(..., suspend=True)``) switches back to the loop through
``suspend`` and gets the reply when the loop's reader switches into it again. Everything between two waits runs
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
    """The event loop that resumes it (the runtime sets it): the Wire watches its socket there."""
    outcome: Any = None
    """How its call ended, when it ended without waiting: left here for the runtime to take."""
    finish: Any = None
    """Told what its call ended with, when the call suspended before it ended (the runtime sets it); it
    runs inside the greenlet, so it must not switch greenlets (a future's result, a count: fine)."""


def current() -> object:
    """The running greenlet (the thread's main one outside ``Suspendable``): whose a store's per-run state is."""
    me: object = getcurrent()
    return me


def suspendable() -> Suspendable | None:
    """The ``Suspendable`` running now, if any (then ``suspend`` may be called)."""
    me = getcurrent()
    return me if type(me) is Suspendable else None


SUSPENDED: Any = object()
"""What a ``Suspendable`` hands whoever started or resumed it when it waits: it is not done yet."""


def suspend() -> Any:
    """Give the loop back until the reply the running ``Suspendable`` waits for comes: the reply (the
    error that ended the wait raised here). Only the loop's own thread, in its main greenlet, resumes it."""
    return getcurrent().parent.switch(SUSPENDED)
