"""A sliding one-minute window per user (documented: 15 requests per minute per user)."""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass, field

from mock_server.backend.clock import Clock
from mock_server.backend.errors import ApiError


@dataclass(slots=True)
class RateLimiter:
    clock: Clock
    limit: int
    window: float
    _hits: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def hit(self, key: str) -> None:
        """Count one request for ``key``; 429 with ``Retry-After`` (whole seconds) when over the limit."""
        now = self.clock.now()
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            retry = max(1, math.ceil(hits[0] + self.window - now))
            raise ApiError(
                "rate_limited",
                f"Rate limit reached: at most {self.limit} requests per {self.window:g} s. Retry after {retry} s.",
                headers={"Retry-After": str(retry)},
                retry_after=retry,
            )
        hits.append(now)
