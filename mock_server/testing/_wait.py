"""``wait_until``: a bounded wait on a condition that other threads (a live server, a receiver) make true."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WAIT_TIMEOUT = 10.0
"""Default upper bound of a wait: far above what a passing run needs, so only a real bug reaches it."""
POLL_INTERVAL = 0.005
"""Seconds between two looks at the predicate."""


def wait_until(predicate: Callable[[], T | None], timeout: float = WAIT_TIMEOUT, *, what: str | None = None) -> T:
    """Call ``predicate`` until it returns something truthy, and return that value.

    Raises ``TimeoutError`` naming ``what`` (or the predicate) once ``timeout`` seconds pass without
    it; the predicate is always called at least once, so a condition that already holds never waits.
    For effects that really take time (sockets, threads); with the manual clock, ``control.advance``.
    """
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            name = what or getattr(predicate, "__qualname__", repr(predicate))
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {name}")
        pause.wait(POLL_INTERVAL)
