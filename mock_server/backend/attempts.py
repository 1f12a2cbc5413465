"""``Attempt``: one try at delivering a webhook, as the deliveries log shows it (plain data, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Attempt:
    """When it started (``at``), and how it ended: the receiver's status, an error, how long it took."""

    number: int
    at: float
    status_code: int | None = None
    error: str | None = None
    duration: float | None = None

    @property
    def settled(self) -> bool:
        """Whether its outcome was reported (a status, or an error)."""
        return self.status_code is not None or self.error is not None
