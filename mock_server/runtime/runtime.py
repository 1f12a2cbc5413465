"""``Runtime``: the live parts of one backend (streams, webhook attempts, the real-clock timer).

One per ``Backend`` (``runtime_for``), attached as its listener and sender; it owns the event loop
the backend's state belongs to once the app has started (``start``).
"""

from __future__ import annotations

import asyncio
import contextlib

from mock_server.backend import Backend, Event, Published, Scheduled
from mock_server.runtime.delivery import Deliverer
from mock_server.runtime.feed import Feed, sweep
from mock_server.runtime.streams import Streams
from mock_server.runtime.timer import Timer


class Runtime:
    """The edge of one backend: its open streams, webhook attempts in flight and real-clock timer."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.streams = Streams()
        self.deliverer = Deliverer(backend)
        self.timer = Timer(backend)
        self.loop: asyncio.AbstractEventLoop | None = None
        """The loop that owns the backend's state (set by ``start``); other threads hand calls to it."""
        self.feed: Feed | None = None
        self._sweep: asyncio.Task[None] | None = None
        backend.listeners.append(self.on_event)
        backend.sender = self.deliverer.send

    def on_event(self, event: Event) -> None:
        """Each event goes only to the parts that act on it: every variation emits a ``Scheduled`` and
        three ``Published`` (hot path), which need only the timer and the streams respectively."""
        if type(event) is Published:
            if self.streams.subscriptions:  # no stream open: nothing to fan out to
                self.streams.on_published(event.notification)
        elif type(event) is Scheduled:
            self.timer.on_scheduled(event)
        else:
            self.streams.on_event(event)
            self.timer.on_event(event)
            self.deliverer.on_event(event)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """The app's lifespan began on ``loop``: arm the timer there and run what fell due meanwhile."""
        self.loop = loop
        self.timer.attach(loop)
        self.backend.run_due()
        self.timer.arm()

    async def follow(self) -> None:
        """With a shared store: subscribe to what other processes do, and sweep for due work."""
        address = self.backend.feed()
        if address is None:
            return
        self.feed = Feed(self.backend, *address, wants_notifications=self._wants_notifications)
        await self.feed.start()
        self._sweep = asyncio.create_task(sweep(self.backend, self.timer.run_due, listening=self._wants_notifications))

    def _wants_notifications(self) -> bool:
        """Whether a notification another process (or this one) stored must be decoded here: a stream
        is open, or something besides this runtime listens to the backend."""
        return bool(self.streams.subscriptions) or len(self.backend.listeners) > 1

    async def unfollow(self) -> None:
        if self._sweep is not None:
            self._sweep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweep
            self._sweep = None
        if self.feed is not None:
            await self.feed.stop()
            self.feed = None

    def stop(self) -> None:
        self.deliverer.cancel()


def runtime_for(backend: Backend) -> Runtime:
    """The runtime of ``backend``, created and attached on first use (several apps may share one backend)."""
    runtime = backend.runtime
    if not isinstance(runtime, Runtime):
        runtime = backend.runtime = Runtime(backend)
    return runtime
