"""Open SSE streams: one queue per stream, fed by the backend's ``Published`` events.

``frames`` is a stream's whole life: subscribe, send the backlog the backend chooses, then each
live notification as the backend says (``Backend.live_frame``), until the client goes, a reset
ends it, or a ``drop_stream`` rule closes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

from mock_server.backend import Backend, Event, Filters, Notification, Published, WasReset


@dataclass(eq=False, slots=True)
class Subscription:
    """One open stream: its matching notifications in publication order; ``None`` means "end now"."""

    owner: str
    filters: Filters
    queue: asyncio.Queue[Notification | None] = field(default_factory=asyncio.Queue)


@dataclass(frozen=True, slots=True)
class Frame:
    """``kind``: ``backfill``, ``backfill_complete`` (no notification) or ``live``; ``id`` for the ``id:`` line."""

    kind: str
    id: int
    notification: Notification | None = None


class Streams:
    """The open SSE streams of one backend; ``subscriptions`` counts them (the control API shows it)."""

    def __init__(self) -> None:
        self.subscriptions: set[Subscription] = set()

    def on_event(self, event: Event) -> None:
        if isinstance(event, Published):
            self.on_published(event.notification)
        elif isinstance(event, WasReset):
            for sub in self.subscriptions:  # clients reconnect to the new state instead of hanging
                sub.queue.put_nowait(None)

    def on_published(self, n: Notification) -> None:
        """Queue ``n`` on each open stream of its owner whose filters match it."""
        for sub in self.subscriptions:
            if sub.owner == n.owner and sub.filters.match(n):
                sub.queue.put_nowait(n)

    def count(self, user: str | None = None) -> int:
        return sum(1 for sub in self.subscriptions if user is None or sub.owner == user)

    async def frames(self, backend: Backend, owner: str, filters: Filters, last_id: int) -> AsyncGenerator[Frame, None]:
        """Backlog and subscription are taken together (no await between), so every notification is sent
        exactly once: the queue holds only what was published after the backlog was read.

        Subscribing here rather than in the endpoint means a response that never starts streaming
        (HEAD, a client gone before the first byte) never holds a subscription; ``finally`` frees it
        the moment the client disconnects.
        """
        sub = Subscription(owner, filters)
        self.subscriptions.add(sub)
        try:
            last_id, backlog = backend.stream_backlog(owner, filters, last_id)
            for n in backlog:
                last_id = n.id
                yield Frame("backfill", n.id, n)
            yield Frame("backfill_complete", last_id)
            while True:
                published = await sub.queue.get()
                if published is None:
                    return
                if published.id <= last_id:
                    continue  # a shared store's feed may bring what the backlog already sent
                last_id = published.id
                frame = backend.live_frame(owner, published)
                if frame.send:
                    yield Frame("live", published.id, published)
                if frame.close_after:
                    return
        finally:
            self.subscriptions.discard(sub)
