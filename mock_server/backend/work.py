"""Scheduled work as data: what is to happen, to which records, and when.

A ``Work`` names its kind and the ids it acts on; the scheduler claims it from the store when it
falls due and the backend runs the handler for its kind. No closure is kept, so a store may
serialise pending work and any process sharing the store may run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mock_server.backend._reduce import Reduced, reduce_record

WorkKind = Literal["variation", "webhook_attempt", "webhook_watch"]


@dataclass(slots=True)
class Work:
    due: float
    kind: WorkKind
    key: tuple[str, ...]
    """``variation``: (job_id, image_index, group_index); ``webhook_attempt``: (delivery_id,);
    ``webhook_watch``: (delivery_id, attempt number, wall-clock deadline)."""
    seq: int = 0
    """Set by the store: ties at one due time run in scheduling order."""

    def __init__(self, due: float, kind: WorkKind, key: tuple[str, ...], seq: int = 0) -> None:
        """Written out, not generated: mypyc compiles it (``docs/architecture.md``, "Compiled with mypyc")."""
        self.due, self.kind, self.key, self.seq = due, kind, key, seq

    def __reduce__(self) -> Reduced:
        return reduce_record(self)
