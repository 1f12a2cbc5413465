"""``Call``: one bounded call into a client under test, whatever it does (return, raise, hang).

A client that hangs must not hang the suite: each call runs in a daemon thread and is abandoned
after its timeout, which becomes a finding like any other wrong behaviour.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Call:
    """What one client call did: ``value`` if it returned, ``error`` if it raised, or ``timed_out``."""

    what: str
    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    seconds: float = 0.0

    @property
    def returned(self) -> bool:
        return self.error is None and not self.timed_out

    @property
    def status_code(self) -> Any:
        """The ``status_code`` attribute of the raised exception (None when absent)."""
        return getattr(self.error, "status_code", None)

    def outcome(self) -> str:
        """What happened, in words, for a finding's ``observed`` line."""
        if self.timed_out:
            return f"did not return within {self.seconds:.1f} s"
        if self.error is not None:
            code = self.status_code
            suffix = f" with status_code={code!r}" if code is not None else " (no status_code attribute)"
            return f"raised {type(self.error).__name__}: {self.error}{suffix}{_where(self.error)}"
        return f"returned {short(self.value)}"


def _where(error: BaseException) -> str:
    """`` at file:line in function``: where the client raised it (its last frame)."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f" at {last.filename}:{last.lineno} in {last.name}"


def short(value: object, limit: int = 240) -> str:
    """A one-line rendering of a value for reports, cut at ``limit`` characters."""
    try:
        text = json.dumps(value, default=repr, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def bounded(what: str, fn: Callable[..., Any], *args: Any, timeout: float) -> Call:
    """Run ``fn(*args)`` in a daemon thread; give up (``timed_out``) after ``timeout`` seconds."""
    call = Call(what)
    started = time.monotonic()

    def run() -> None:
        try:
            call.value = fn(*args)
        except BaseException as exc:  # the client under test may raise anything; it is data here
            call.error = exc

    thread = threading.Thread(target=run, name=f"contract-call {what[:40]}", daemon=True)
    thread.start()
    thread.join(timeout)
    call.timed_out = thread.is_alive()
    call.seconds = time.monotonic() - started
    return call
