"""``Feed``: what other processes of a shared store did, heard here (Redis pub/sub, asyncio client).

One subscription per process. Each message goes to ``Backend.apply_feed``: a notification becomes
a ``Published`` for this process's open streams (in the store's id order, since the store publishes
in the script that appends), new work re-arms the timer, a reset elsewhere rebuilds this process's
components, a clock change is followed. A lost connection is retried every half second; the
periodic sweep (``Timer``'s poll) covers what fell due meanwhile.

Every request on a shared store publishes a message or two (each store step's events in one, one
per line: its work's due time, its notifications), so the subscription reads them the cheap way:
redis-py opens the connection (the URL's password and database mean what they mean everywhere),
then the socket is the event loop's, and hiredis parses what arrives (redis-py's asyncio pub/sub
cost a few tens of microseconds per message). A TLS URL
keeps redis-py's asyncio client throughout. Notifications are published only while some process
listens (``Backend.listen``: a stream asks as it opens, ``sweep`` renews it each second while one is
open); here a notification message is not decoded at all while nothing in this process listens
(``wants_notifications``: no stream open).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Callable
from typing import Any

from mock_server.backend import Backend

logger = logging.getLogger("mock_server")
RETRY = 0.5


class Feed:
    def __init__(
        self, backend: Backend, url: str, channel: str, wants_notifications: Callable[[], bool] = lambda: True
    ) -> None:
        self.backend, self.url, self.channel = backend, url, channel
        self.wants_notifications = wants_notifications
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
        """One message: its events, one per line (a store step's events are published as one message)."""
        notifications = self.wants_notifications()
        for event in data.split(b"\n") if b"\n" in data else (data,):
            try:
                self.backend.apply_feed(event, notifications=notifications)
            except Exception:
                logger.exception("store feed message %r not applied", event[:200])

    def _subscribed(self) -> None:
        if self.backend.recover():
            logger.warning("the store at %s had lost its state: started anew", self.url)
        self.subscribed.set()

    def _listen_first(self) -> None:
        """Before (re)subscribing with a stream open here, renew ``Backend.listen`` (the mark may have lapsed
        while the connection was lost, or gone with a Redis that lost its keys): from the subscription on,
        every notification is published and heard."""
        if self.wants_notifications():
            try:
                self.backend.listen()
            except Exception as exc:
                logger.warning("store listen failed: %s", exc)

    async def _listen(self) -> None:
        connection = await asyncio.to_thread(_connect, self.url)
        if isinstance(connection._sock, ssl.SSLSocket):
            connection.disconnect()
            return await self._listen_tls()
        loop = asyncio.get_running_loop()
        try:
            sock = connection._sock
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            sock.setblocking(False)
            transport, protocol = await loop.create_connection(lambda: _Subscriber(self), sock=sock)
            try:
                self._listen_first()
                transport.write(_subscribe_command(self.channel))
                await protocol.closed
            finally:
                transport.close()
        finally:
            connection.disconnect()
        raise ConnectionError("the subscription's connection closed")

    async def _listen_tls(self) -> None:
        # imported here: only a shared store on TLS needs it, and redis.asyncio costs every importer of
        # the runtime (every mock_piktid test run) tens of milliseconds
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2, health_check_interval=10)
        try:
            async with client.pubsub() as pubsub:
                self._listen_first()
                await pubsub.subscribe(self.channel)
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        self._subscribed()
                    elif message["type"] == "message":
                        self._apply(message["data"])
        finally:
            await client.aclose()


class _Subscriber(asyncio.Protocol):
    """The subscription's socket on the event loop: each message, parsed by hiredis, to the feed."""

    def __init__(self, feed: Feed) -> None:
        import hiredis

        self.feed = feed
        self.reader = hiredis.Reader()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            if isinstance(reply, list) and len(reply) == 3:
                if reply[0] == b"message":
                    self.feed._apply(reply[2])
                elif reply[0] == b"subscribe":
                    self.feed._subscribed()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


def _connect(url: str) -> Any:
    """A connection redis-py opened and authenticated (blocking: run on a thread), as the URL says."""
    from redis.connection import Connection, parse_url

    settings: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]  # untyped in redis-py
    kind = settings.pop("connection_class", Connection)
    connection = kind(**settings, socket_connect_timeout=2, socket_timeout=2, protocol=2)
    connection.connect()
    return connection


def _subscribe_command(channel: str) -> bytes:
    name = channel.encode()
    return b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(name), name)


async def sweep(
    backend: Backend, run_due: Callable[[], object], every: float = 1.0, listening: Callable[[], bool] = lambda: False
) -> None:
    """Run due work (``run_due``: the timer's, which does not hold the loop) every ``every`` seconds (real
    clock): work whose lease ran out in a dead process, or whose ``due`` message was missed, runs within a
    second or so of the lease's end. While ``listening`` (a stream is open here), renew ``Backend.listen``
    on each round, so the store keeps publishing notifications."""
    while True:
        await asyncio.sleep(every)
        if listening():
            try:
                backend.listen()
            except Exception as exc:
                logger.warning("store listen failed: %s", exc)
        if backend.clock_mode() == "real":
            try:
                run_due()
            except Exception as exc:
                logger.warning("sweep of due work failed: %s", exc)
