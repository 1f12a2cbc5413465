"""The credit ledger: reserve at start, charge per completed variation, release per failed one.

402 when ``user_credits - in_progress_credits < required_credits`` (documented: the body carries
all three). Each step is one atomic store operation, so the balance is exact under concurrency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mock_server.backend.errors import ApiError

if TYPE_CHECKING:
    from mock_server.backend.notifications import Notification
    from mock_server.backend.webhooks import WebhookConfig
    from mock_server.store import Store


def reserve(store: Store, token: str, amount: float) -> None:
    try:
        reservation = store.reserve_credits(token, amount)
    except KeyError:
        raise account_removed() from None
    check(reservation, amount)


def account_removed() -> ApiError:
    """What a store step that reserves for a token the request authenticated answers when it raised
    ``KeyError``: the account was removed since (a reset from another client, a flushed Redis), so the
    token is now unknown: a 401, not a 500. (Callers catch the ``KeyError`` themselves: a generator
    context manager around the step cost a quarter of the step, on every ``POST /edit-chat``.)"""
    return ApiError("unauthorized", "Unknown API token: its account was removed while the request ran.")


def check(reservation: tuple[bool, float, float], amount: float) -> None:
    """402 unless the store reserved (``reservation``: ``reserve_credits``'s answer)."""
    reserved, balance, in_progress = reservation
    if not reserved:
        raise ApiError(
            "insufficient_credits",
            required_credits=float(amount),
            in_progress_credits=float(in_progress),
            user_credits=float(balance),
        )


def settle(
    store: Store, token: str, amount: float, *, charge: bool, notifications: list[Notification]
) -> WebhookConfig | None:
    """A variation ended: a completed one's reservation becomes a charge, a failed one's is released
    ("Failed variations are not charged"); its notifications are appended in the same store step."""
    return store.settle_and_notify(token, amount, charge=charge, notifications=notifications)


def charge(store: Store, token: str, amount: float) -> None:
    """A variation completed: its reservation becomes a charge."""
    store.settle_credits(token, amount, charge=True)


def release(store: Store, token: str, amount: float) -> None:
    """A variation failed: "Failed variations are not charged"."""
    store.settle_credits(token, amount, charge=False)
