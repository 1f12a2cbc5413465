"""One request to the bridged app: its ASGI scope, the call on the app's loop, and the response handed back.

The request comes as httpx's (``httpx.Request``, through respx's route resolution) or as httpcore's
(``httpcore.Request``, answered before respx converts it, see ``_patches.DirectRouter``); both make the
same scope. ``sync_exchange`` and ``async_exchange`` give the response's status and headers once the
app starts it, with its body as bytes (a whole response, the usual case) or as a stream fed chunk by
chunk (SSE). A read timeout applies to the response start and to each body chunk, as over a socket;
closing a streamed body tells the app the client went away (``http.disconnect``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote

import anyio
import httpcore
import httpx
from starlette.types import ASGIApp, Message

from mock_server.testing._loop import LoopThread

CLOSE_TIMEOUT = 2.0
"""Seconds closing a body waits for the app to finish a request whose client went away."""
CLIENT = ("127.0.0.1", 50000)

logger = logging.getLogger("mock_server")

Headers = list[tuple[bytes, bytes]]
Event = tuple[int, Headers] | tuple[int, Headers, bytes] | bytes | BaseException | None
"""What an exchange hands its caller: (status, headers), a body chunk, an error, or None (the end); or
(status, headers, body) for a whole response sent at once, which crosses the threads once, not three times."""
Answer = tuple[int, Headers, "bytes | SyncBody"]
AsyncAnswer = tuple[int, Headers, "bytes | AsyncBody"]


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def _scope(method: str, scheme: str, server: tuple[str, int], target: bytes, headers: Headers) -> dict[str, Any]:
    raw_path, _, query = target.partition(b"?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": unquote(raw_path.decode("ascii") or "/"),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in headers],
        "server": server,
        "client": CLIENT,
    }


def scope_of(request: httpx.Request) -> dict[str, Any]:
    """The ASGI scope of an httpx request."""
    url = request.url
    server = (url.host, url.port or default_port(url.scheme))
    return _scope(request.method, url.scheme, server, url.raw_path, request.headers.raw)


def core_scope_of(request: httpcore.Request, server: tuple[str, int]) -> dict[str, Any]:
    """The ASGI scope of an httpcore request to ``server`` (the bridged origin's host and port)."""
    url = request.url
    return _scope(request.method.decode("ascii"), url.scheme.decode("ascii"), server, url.target, request.headers)


def read_timeout(extensions: Mapping[str, Any]) -> float | None:
    """The client's read timeout, from a request's extensions (httpx's and httpcore's carry the same)."""
    read: float | None = extensions.get("timeout", {}).get("read")
    return read


class Exchange:
    """One request on the app's loop: the ASGI call, and its response events sent to ``deliver``."""

    def __init__(
        self, scope: dict[str, Any], body: bytes, deliver: Callable[[Event], None], held: LoopThread, app: ASGIApp
    ) -> None:
        self.scope, self.body = scope, body
        self.deliver, self.loop = deliver, held.loop
        self.head = scope["method"] == "HEAD"
        self.started = self.ended = self._body_sent = False
        self._pending: tuple[int, Headers] | None = None
        self._gone: asyncio.Event | None = None
        self._hung_up = False
        # last: on a sync caller's turn the whole exchange may run (and deliver) before submit returns
        self.done = held.submit(self.run(app))

    async def run(self, app: ASGIApp) -> None:
        try:
            await app(self.scope, self._receive, self._send)
        except Exception as exc:
            if self.started:
                logger.debug("piktid-mock app raised after its response started", exc_info=True)
            else:
                self._finish(exc)
        finally:
            self._finish(None)

    def hang_up(self) -> None:
        """The client went away: the app's next ``receive()`` is ``http.disconnect``."""
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._set_gone)

    def _set_gone(self) -> None:
        self._hung_up = True
        if self._gone is not None:
            self._gone.set()

    def close(self) -> None:
        """Hang up and wait (bounded) for the app to finish, so an SSE stream's cleanup has run."""
        self.hang_up()
        with contextlib.suppress(Exception):
            self.done.result(CLOSE_TIMEOUT)

    async def aclose(self) -> None:
        """As ``close``; the wait is shielded, so a reader cancelled mid-stream still cleans up."""
        self.hang_up()
        with anyio.CancelScope(shield=True):
            await asyncio.wait([asyncio.wrap_future(self.done)], timeout=CLOSE_TIMEOUT)

    async def _receive(self) -> Message:
        if not self._body_sent:
            self._body_sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        if not self._hung_up:
            self._gone = self._gone or asyncio.Event()  # made only by an app that waits for the client to leave
            await self._gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if self.ended or self._hung_up:
            return
        if message["type"] == "http.response.start":
            self.started = True
            # Held until the body: a whole response (the usual case) then crosses to the caller as one
            # event. A streaming one (SSE) still sends its head at once: the loop's next turn flushes it.
            self._pending = (message["status"], [(bytes(k), bytes(v)) for k, v in message.get("headers", [])])
            self.loop.call_soon(self._flush)
        elif message["type"] == "http.response.body":
            chunk = bytes(message.get("body", b""))
            more = message.get("more_body", False)
            if self._pending is not None and not more:
                status, headers = self._pending
                self._pending = None
                self.ended = True
                self.deliver((status, headers, b"" if self.head else chunk))
                return
            self._flush()
            if chunk and not self.head:
                self.deliver(chunk)
            if not more:
                self._finish(None)

    def _flush(self) -> None:
        if self._pending is not None and not self.ended:
            pending, self._pending = self._pending, None
            self.deliver(pending)

    def _finish(self, event: Event) -> None:
        if not self.ended:
            self._flush()
            self.ended = True
            self.deliver(event)


def _chunk(event: Event) -> bytes | None:
    """A body chunk, or None at the end; an error from the app is raised here, in the caller."""
    if isinstance(event, BaseException):
        raise event
    if isinstance(event, tuple):
        raise RuntimeError("piktid-mock bridge: a second response start")
    return event


def _start(event: Event) -> tuple[int, Headers] | tuple[int, Headers, bytes]:
    if isinstance(event, BaseException):
        raise event
    if not isinstance(event, tuple):
        raise RuntimeError("piktid-mock: the app ended the request without a response")
    return event


def _timed_out(request: httpx.Request | None) -> httpx.ReadTimeout:
    """httpx attaches the request itself when none is given (the httpcore path has only httpcore's)."""
    return httpx.ReadTimeout("piktid-mock: no response within the client's read timeout", request=request)


def _get(inbox: queue.SimpleQueue[Event], timeout: float | None, request: httpx.Request | None) -> Event:
    try:
        return inbox.get(timeout=timeout)
    except queue.Empty:
        raise _timed_out(request) from None


async def _aget(inbox: asyncio.Queue[Event], timeout: float | None, request: httpx.Request | None) -> Event:
    try:
        return await asyncio.wait_for(inbox.get(), timeout)
    except TimeoutError:
        raise _timed_out(request) from None


class SyncBody(httpx.SyncByteStream):
    """A response body for a sync client, read from a thread-safe queue as the app sends it."""

    def __init__(
        self, inbox: queue.SimpleQueue[Event], timeout: float | None, request: httpx.Request | None, exchange: Exchange
    ) -> None:
        self.inbox, self.timeout, self.request, self.exchange = inbox, timeout, request, exchange

    def __iter__(self) -> Iterator[bytes]:
        while (chunk := _chunk(_get(self.inbox, self.timeout, self.request))) is not None:
            yield chunk

    def close(self) -> None:
        self.exchange.close()


class AsyncBody(httpx.AsyncByteStream):
    """A response body for an async client, read from a queue on the client's own loop."""

    def __init__(
        self, inbox: asyncio.Queue[Event], timeout: float | None, request: httpx.Request | None, exchange: Exchange
    ) -> None:
        self.inbox, self.timeout, self.request, self.exchange = inbox, timeout, request, exchange

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := _chunk(await _aget(self.inbox, self.timeout, self.request))) is not None:
            yield chunk

    async def aclose(self) -> None:
        await self.exchange.aclose()


def sync_exchange(
    held: LoopThread,
    app: ASGIApp,
    scope: dict[str, Any],
    body: bytes,
    timeout: float | None,
    request: httpx.Request | None,
) -> Answer:
    """Blocks until the response starts; a streamed body then comes from a thread-safe queue."""
    if held.on_loop():
        raise RuntimeError("piktid-mock: a sync httpx.Client cannot call the mock from the mock's own loop")
    inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()  # C, no Conditions to build per call
    exchange = Exchange(scope, body, inbox.put, held, app)
    try:
        start = _start(_get(inbox, timeout, request))
    except BaseException:
        exchange.hang_up()
        raise
    if len(start) == 3:
        return start
    return start[0], start[1], SyncBody(inbox, timeout, request, exchange)


async def async_exchange(
    held: LoopThread,
    app: ASGIApp,
    scope: dict[str, Any],
    body: bytes,
    timeout: float | None,
    request: httpx.Request | None,
) -> AsyncAnswer:
    """Awaits the response start on the caller's loop; a streamed body then comes from a queue on that loop."""
    caller = asyncio.get_running_loop()
    inbox: asyncio.Queue[Event] = asyncio.Queue()

    def deliver(event: Event) -> None:
        with contextlib.suppress(RuntimeError):
            caller.call_soon_threadsafe(inbox.put_nowait, event)

    exchange = Exchange(scope, body, deliver, held, app)
    try:
        start = _start(await _aget(inbox, timeout, request))
    except BaseException:
        exchange.hang_up()
        raise
    if len(start) == 3:
        return start
    return start[0], start[1], AsyncBody(inbox, timeout, request, exchange)
