"""A sliding one-minute window per user (documented: 15 requests per minute per user)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mock_server.backend import credits
from mock_server.backend.clock import Clock
from mock_server.backend.errors import ApiError
from mock_server.store import Store

if TYPE_CHECKING:
    from mock_server.backend.jobs import Job
    from mock_server.backend.notifications import Notification
    from mock_server.backend.webhooks import WebhookConfig
    from mock_server.backend.work import Work


@dataclass(slots=True)
class RateLimiter:
    clock: Clock
    limit: int
    window: float
    store: Store

    def hit(self, key: str, now: float | None = None) -> None:
        """Count one request for ``key`` at ``now`` (the clock's time by default); 429 with ``Retry-After``
        (whole seconds) when over the limit."""
        now = self.clock.now() if now is None else now
        self.check(self.store.rate_hit(key, now, self.limit, self.window), now)

    def hit_and_reserve(self, key: str, amount: float, now: float | None = None) -> None:
        """``hit``, then ``credits.reserve`` of ``amount`` for ``key`` (a token), in one store step."""
        now = self.clock.now() if now is None else now
        try:
            oldest, reservation = self.store.rate_hit_and_reserve(key, now, self.limit, self.window, key, amount)
        except KeyError:
            raise credits.account_removed() from None
        self.check(oldest, now)
        assert reservation is not None
        credits.check(reservation, amount)

    def hit_reserve_and_start(
        self,
        key: str,
        amount: float,
        start: tuple[Job, list[Work], Notification],
        now: float | None = None,
        *,
        version: str | None = None,
    ) -> WebhookConfig | None:
        """``hit_and_reserve``, then ``Store.start_generation`` of ``start`` (a new job, its work and its
        notification), in one store step: nothing is started when it answers 429 or 402, or when the
        user's ``version`` (the one the request was checked against) is no longer the stored one (the
        store's ``StaleAccount``, raised through)."""
        now = self.clock.now() if now is None else now
        try:
            oldest, reservation, config = self.store.rate_hit_reserve_and_start(
                key, now, self.limit, self.window, key, amount, start, version=version
            )
        except KeyError:
            raise credits.account_removed() from None
        self.check(oldest, now)
        assert reservation is not None
        credits.check(reservation, amount)
        return config

    def check(self, oldest: float | None, now: float) -> None:
        """429 when the store counted the window full (``oldest``: its oldest hit)."""
        if oldest is not None:
            retry = max(1, math.ceil(oldest + self.window - now))
            raise ApiError(
                "rate_limited",
                f"Rate limit reached: at most {self.limit} requests per {self.window:g} s. Retry after {retry} s.",
                headers={"Retry-After": str(retry)},
                retry_after=retry,
            )
