"""Notifications: one ordered log per user, fanned out to every open stream and to listeners.

Each open SSE stream holds a ``Subscription`` (an asyncio queue); ``publish`` puts the new
notification in every queue of that user at once, so several streams each get every event.
Listeners (the webhook dispatcher) are called for every notification.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mock_server.backend.clock import Clock
from mock_server.backend.errors import ApiError
from mock_server.backend.ids import IdSource


@dataclass(slots=True)
class Notification:
    id: int
    owner: str
    name: str
    timestamp: float
    data: dict[str, Any]
    deleted: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "timestamp": self.timestamp, "data": self.data}


@dataclass(slots=True)
class Filters:
    """The stream's and the polling endpoint's filters; empty means everything."""

    id_task: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    id_image: frozenset[str] = frozenset()

    def match(self, n: Notification) -> bool:
        if self.names and n.name not in self.names:
            return False
        if self.id_task and n.data.get("id_task") not in self.id_task:
            return False
        return not self.id_image or str(n.data.get("image_index")) in self.id_image


@dataclass(eq=False, slots=True)
class Subscription:
    """One open stream: its matching notifications in publication order; ``None`` means "end now"."""

    owner: str
    filters: Filters
    queue: asyncio.Queue[Notification | None] = field(default_factory=asyncio.Queue)


class Notifications:
    def __init__(self, clock: Clock, ids: IdSource) -> None:
        self.clock, self.ids = clock, ids
        self.log: dict[str, list[Notification]] = {}
        self.newest_id = 0
        """The id of the latest notification of this state (ids restart at a reset)."""
        self.subscriptions: set[Subscription] = set()
        self.listeners: list[Callable[[Notification], None]] = []

    def publish(self, owner: str, name: str, data: dict[str, Any]) -> Notification:
        notification = Notification(self.ids.number(), owner, name, self.clock.now(), data)
        self.newest_id = notification.id
        self.log.setdefault(owner, []).append(notification)
        for sub in self.subscriptions:
            if sub.owner == owner and sub.filters.match(notification):
                sub.queue.put_nowait(notification)
        for listener in self.listeners:
            listener(notification)
        return notification

    def subscribe(self, owner: str, filters: Filters) -> Subscription:
        sub = Subscription(owner, filters)
        self.subscriptions.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscriptions.discard(sub)

    def close(self) -> None:
        """End every open stream (on reset), so clients reconnect to the new state instead of hanging."""
        for sub in self.subscriptions:
            sub.queue.put_nowait(None)

    def live(self, owner: str, filters: Filters, *, after: int = 0) -> list[Notification]:
        return [n for n in self.log.get(owner, ()) if not n.deleted and n.id > after and filters.match(n)]

    def backfill(self, owner: str, filters: Filters, horizon: float, *, after: int = 0) -> list[Notification]:
        """Not deleted, at most ``horizon`` seconds old, oldest first (the v2 backfill rule)."""
        oldest = self.clock.now() - horizon
        return [n for n in self.live(owner, filters, after=after) if n.timestamp >= oldest]

    def delete(self, owner: str, notification_id: int) -> Notification:
        for n in self.log.get(owner, ()):
            if n.id == notification_id and not n.deleted:
                n.deleted = True
                return n
        raise ApiError("notification_not_found", f"notification {notification_id} not found.")

    def all(self, owners: Iterable[str] | None = None) -> list[Notification]:
        keys = self.log.keys() if owners is None else owners
        return sorted((n for k in keys for n in self.log.get(k, ())), key=lambda n: n.id)
