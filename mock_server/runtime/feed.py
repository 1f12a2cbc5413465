"""``Feed``: what other processes of a shared store did, heard here (Redis pub/sub, asyncio client).

One subscription per process. Each message goes to ``Backend.apply_feed``: a notification becomes
a ``Published`` for this process's open streams (in the store's id order, since the store publishes
in the script that appends), new work re-arms the timer, a reset elsewhere rebuilds this process's
components, a clock change is followed. A lost connection is retried every half second; the
periodic sweep (``Timer``'s poll) covers what fell due meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from mock_server.backend import Backend

logger = logging.getLogger("mock_server")
RETRY = 0.5


class Feed:
    def __init__(self, backend: Backend, url: str, channel: str) -> None:
        self.backend, self.url, self.channel = backend, url, channel
        self._task: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()

    async def start(self) -> None:
        """Subscribe and return once subscribed (so nothing published after start is missed)."""
        self._task = asyncio.create_task(self._follow())
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.subscribed.wait(), 5)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.subscribed.clear()
                logger.warning("store feed %s lost (%s); retrying", self.channel, exc)
                await asyncio.sleep(RETRY)

    def _apply(self, data: bytes) -> None:
        try:
            self.backend.apply_feed(data)
        except Exception:
            logger.exception("store feed message %r not applied", data[:200])

    async def _listen(self) -> None:
        # imported here: only a shared store has a feed, and redis.asyncio costs every importer of the
        # runtime (every mock_piktid test run) tens of milliseconds
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2, health_check_interval=10)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(self.channel)
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        if self.backend.recover():
                            logger.warning("the store at %s had lost its state: started anew", self.url)
                        self.subscribed.set()
                    elif message["type"] == "message":
                        self._apply(message["data"])
        finally:
            await client.aclose()


async def sweep(backend: Backend, every: float = 1.0) -> None:
    """Run due work every ``every`` seconds (real clock): work whose lease ran out in a dead process,
    or whose ``due`` message was missed, runs within a second or so of the lease's end."""
    while True:
        await asyncio.sleep(every)
        if backend.clock_mode() == "real":
            try:
                backend.run_due()
            except Exception as exc:
                logger.warning("sweep of due work failed: %s", exc)
