"""The state machine's own model of the service: credits, reservations, variations, rate windows.

Written from the docs, not from the mock: a request is validated, rate-limited (15 a minute per
user), resolved (404 for what the user does not own), then its credits are reserved (402 when
``credits - in_progress < price``); each variation completes or fails when the clock reaches it,
and only completed ones are charged.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from mock_server.settings import Settings


@dataclass(slots=True)
class Variation:
    owner: str
    job_id: str
    image_index: int
    group_index: int
    price: float
    due: float
    outcome: str
    """What it becomes when due: ``completed`` or ``failed``."""
    status: str = "processing"


@dataclass(slots=True)
class UserModel:
    token: str
    plan: str
    start: float
    """Credits at the last set (the mock's ``charged_credits`` counts from there too)."""
    charged: float = 0.0
    hits: deque[float] = field(default_factory=deque)
    webhook_since: int | None = None
    """Notifications with a greater id must each be delivered to the webhook (None: no webhook)."""

    @property
    def balance(self) -> float:
        return self.start - self.charged


@dataclass(slots=True)
class Model:
    settings: Settings
    users: dict[str, UserModel] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    """file_id -> owner."""
    jobs: dict[str, str] = field(default_factory=dict)
    """job_id -> owner."""
    generations: dict[str, int] = field(default_factory=dict)
    variations: list[Variation] = field(default_factory=list)
    dirty: set[str] = field(default_factory=set)
    """Jobs whose results may have changed since the invariants last looked."""

    def reserved(self, token: str) -> float:
        return sum(v.price for v in self.variations if v.owner == token and v.status == "processing")

    def rate_limited(self, token: str, now: float) -> bool:
        """Count one request in the user's sliding window; True when it is over the limit (429)."""
        hits = self.users[token].hits
        while hits and hits[0] <= now - self.settings.rate_window:
            hits.popleft()
        if len(hits) >= self.settings.rate_limit:
            return True
        hits.append(now)
        return False

    def affordable(self, token: str, price: float) -> bool:
        return self.users[token].balance - self.reserved(token) >= price

    def start(self, token: str, job_id: str, count: int, per_image: float, outcome: str, now: float) -> None:
        """An accepted generation: ``count`` variations due one latency apart."""
        self.jobs.setdefault(job_id, token)
        index = self.generations.get(job_id, 0)
        self.generations[job_id] = index + 1
        self.variations.extend(
            Variation(token, job_id, index, i, per_image, now + self.settings.latency * (i + 1), outcome)
            for i in range(count)
        )
        self.dirty.add(job_id)

    def advance(self, now: float) -> None:
        """Every variation due by ``now`` becomes final; completed ones are charged to their owner."""
        for v in self.variations:
            if v.status == "processing" and v.due <= now:
                v.status = v.outcome
                self.dirty.add(v.job_id)
                if v.outcome == "completed":
                    self.users[v.owner].charged += v.price

    def set_credits(self, token: str, credits: float) -> None:
        user = self.users[token]
        user.start, user.charged = credits, 0.0

    def of_job(self, job_id: str) -> list[Variation]:
        return [v for v in self.variations if v.job_id == job_id]
