"""The credit ledger: reserve at start, charge per completed variation, release per failed one.

402 when ``user_credits - in_progress_credits < required_credits`` (documented: the body carries
all three). Everything runs on the app's event loop, so each operation is atomic.
"""

from __future__ import annotations

from mock_server.backend.accounts import User
from mock_server.backend.errors import ApiError


def reserve(user: User, amount: float) -> None:
    if user.credits - user.in_progress < amount:
        raise ApiError(
            "insufficient_credits",
            required_credits=float(amount),
            in_progress_credits=float(user.in_progress),
            user_credits=float(user.credits),
        )
    user.in_progress += amount


def charge(user: User, amount: float) -> None:
    """A variation completed: its reservation becomes a charge."""
    user.in_progress = max(0.0, user.in_progress - amount)
    user.credits -= amount
    user.charged += amount


def release(user: User, amount: float) -> None:
    """A variation failed: "Failed variations are not charged"."""
    user.in_progress = max(0.0, user.in_progress - amount)
