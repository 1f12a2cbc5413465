"""What the state tells the live parts at the edge (``mock_server.runtime``), as plain data.

The backend never holds a queue, a task or a socket: it emits these to its listeners, and the
runtime turns them into SSE frames, HTTP attempts and loop timers.
"""

from __future__ import annotations

from dataclasses import dataclass

from mock_server.backend._reduce import Reduced, reduce_record
from mock_server.backend.attempts import Attempt
from mock_server.backend.notifications import Notification
from mock_server.backend.webhooks import Delivery


@dataclass(slots=True, unsafe_hash=True)
class Published:
    """A notification was appended: open streams of its owner may send it.

    Not frozen, as ``Scheduled``: three are made per ``POST /edit-chat``, and a frozen dataclass's
    ``__init__`` (``object.__setattr__`` per field) costs twice a plain one's. Listeners only read them;
    they compare and hash by value, as the frozen ones did."""

    notification: Notification

    def __init__(self, notification: Notification) -> None:
        """Written out, not generated: mypyc compiles it (``docs/architecture.md``, "Compiled with mypyc")."""
        self.notification = notification

    def __reduce__(self) -> Reduced:
        return reduce_record(self)


@dataclass(frozen=True, slots=True)
class AttemptStarted:
    """A delivery attempt was claimed: POST it and report with ``Backend.settle_attempt``."""

    delivery: Delivery
    attempt: Attempt
    timeout_injected: bool
    """A ``webhook_timeout`` fault rule applies: report a timeout without calling the receiver."""
    epoch: int
    """The state it belongs to: a report for an earlier epoch (before a reset) is ignored."""


@dataclass(slots=True, unsafe_hash=True)
class Scheduled:
    """Work was scheduled at ``due``: a real-clock timer may need arming earlier."""

    due: float
    clock_moved: bool = False
    """Sent after the clock moved or due work ran: a timer armed before cannot trust its loop time and
    recomputes; otherwise a timer already armed for ``due`` or earlier keeps it without reading anything."""

    def __init__(self, due: float, clock_moved: bool = False) -> None:
        """Written out, not generated: mypyc compiles it (``docs/architecture.md``, "Compiled with mypyc")."""
        self.due, self.clock_moved = due, clock_moved

    def __reduce__(self) -> Reduced:
        return reduce_record(self)


@dataclass(frozen=True, slots=True)
class WasReset:
    """The state was reset: end open streams and attempts in flight."""

    epoch: int


@dataclass(frozen=True, slots=True)
class ClockChanged:
    """Another process of a shared store moved or switched the clock (``Clock.state``): follow it."""

    state: dict[str, object]


Event = Published | AttemptStarted | Scheduled | WasReset
"""What the backend tells its listeners (the runtime): one of these records, in the order it happened."""
