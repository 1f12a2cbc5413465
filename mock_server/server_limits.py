"""``ServerLimits``: what uvicorn is told so that idle, slow or many connections cannot stall the mock.

The HTTP parser is httptools (uvicorn's fast one; measured ~2x the requests per second of h11 for
both the mock and a bare Starlette app, see benchmarks/README.md); h11 stays available
(``ServerLimits(http="h11")``). Both get the same two protections below.

uvicorn closes a connection idle *after* a response (``timeout_keep_alive``) but never one that
has not finished sending its first request head: each such socket holds a file descriptor for
ever, and about a thousand of them (a common ``ulimit -n``) stop the server accepting anyone.
``header_timeout`` closes a connection whose request head is not complete in time, counted from
the connection (or the end of the previous response), so a client dripping bytes is cut too.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["DEFAULT_LIMITS", "KeptFrozen", "ServerLimits", "freeze_start_up", "header_timeout_protocol"]


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Limits on connections, the same for ``piktid-mock serve`` and ``LiveServer``; flags change them."""

    keep_alive_timeout: int = 5
    """Seconds an idle keep-alive connection stays open after a response (uvicorn's ``timeout_keep_alive``)."""
    header_timeout: float = 10.0
    """Seconds a connection may take to send a complete request head before it is closed."""
    max_connections: int = 2048
    """Open connections (or requests in flight) past which new requests get a 503 (``limit_concurrency``)."""
    max_header_bytes: int = 16 * 1024
    """Largest request head (``h11_max_incomplete_event_size``, which the httptools protocol here reads
    too); a longer one gets a 400."""
    http: str = "httptools"
    """The HTTP parser: ``httptools`` (the default, the fastest) or ``h11``."""

    def uvicorn_options(self) -> dict[str, Any]:
        """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config``."""
        return {
            "http": header_timeout_protocol(self.header_timeout, self.http),
            "timeout_keep_alive": self.keep_alive_timeout,
            "limit_concurrency": self.max_connections,
            "h11_max_incomplete_event_size": self.max_header_bytes,
        }


DEFAULT_LIMITS = ServerLimits()


FULL_COLLECTION_EVERY = 100
"""Middle-generation collections before a full one may run (CPython's default is 10); see ``freeze_start_up``."""
THAW_EVERY = 2_000
"""Middle-generation collections between two full collections that walk the whole kept state (``KeptFrozen``)."""
THAW_SECONDS = 600.0
"""...or seconds, whichever comes first: cyclic garbage waits at most that long, however quiet the server."""


def freeze_start_up() -> None:
    """For a server process (``serve``), once the app is built: collect, then move every object alive now
    (modules, routes, the spec's tables) out of the cyclic collector's reach, and from then on keep what
    requests leave alive out of it too (``KeptFrozen``). Not for a process that runs tests (their objects
    would be collected late).

    Why: the mock keeps every job until retention drops it (9 container objects per ``POST /edit-chat``),
    and a full collection walks all of them, stopping the server for it: 14 -> 74 -> 157 -> 289 ms as a
    load test's state grew, and the wrk round that held one had its p99 at 28-242 ms against 5.5 ms
    without. A thaw's full collection waits for ``FULL_COLLECTION_EVERY`` middle collections instead of 10."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
    gc.callbacks[:] = [c for c in gc.callbacks if not isinstance(c, KeptFrozen)]
    gc.callbacks.append(KeptFrozen(THAW_EVERY, THAW_SECONDS))


class KeptFrozen:
    """A collector callback: after each middle-generation collection, what it kept alive (now in the oldest
    generation: the jobs, notifications and journal rows requests left, a connection still open) is frozen
    (``gc.freeze``, a splice of lists: nothing is walked; it also zeroes the collector's counts, so no full
    collection comes due); every ``thaw_every`` middle collections everything is unfrozen instead, the full
    collection that follows (``FULL_COLLECTION_EVERY`` middle collections later) walks it all once, and
    freezing resumes; a thaw also comes once ``thaw_seconds`` have passed since the last (checked at each
    middle collection). So the pause of a full collection over the kept state comes once per ``thaw_every``
    middle collections (~2,000 x 700 allocations: a few minutes of full load) instead of every few seconds;
    it still grows with that state.

    What stays bounded: reference counting frees a frozen object as any other (retention's dropped jobs go
    at once, the kept records hold no cycle), so only cyclic garbage among objects that were frozen waits,
    for the next thaw (a closed connection's protocol objects, for one): at most ``thaw_every`` middle
    collections' or ``thaw_seconds``' worth. ``Edge`` drops an answered error from the request's state, so an
    error answer leaves no cycle (its traceback held the frames that held the scope). Young collections,
    which free the request path's own cyclic garbage, are unchanged."""

    def __init__(self, thaw_every: int, thaw_seconds: float = THAW_SECONDS) -> None:
        self.thaw_every, self.thaw_seconds = thaw_every, thaw_seconds
        self.since = time.monotonic()
        self.middle = 0
        self.thawed = False
        """Unfrozen, waiting for the full collection that walks it all (no freezing until it has run)."""

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase != "stop":
            return
        if info["generation"] == 2:
            self.thawed = False
        elif info["generation"] == 1 and not self.thawed:
            self.middle += 1
            if self.middle < self.thaw_every and time.monotonic() - self.since < self.thaw_seconds:
                gc.freeze()
            else:
                self.middle, self.thawed, self.since = 0, True, time.monotonic()
                gc.unfreeze()


def header_timeout_protocol(seconds: float, http: str = "httptools") -> type[H11Protocol | HttpToolsProtocol]:
    """uvicorn's ``http`` protocol (httptools or h11), closing a connection whose request head is not
    complete within ``seconds``; its head size limit is ``h11_max_incomplete_event_size`` on both."""
    if http == "h11":
        return type("HeaderTimeoutH11Protocol", (_HeaderTimeout,), {"header_timeout": seconds})
    if http == "httptools":
        return type("HeaderTimeoutHttpToolsProtocol", (_HttpToolsLimits,), {"header_timeout": seconds})
    raise ValueError(f"unknown HTTP parser {http!r}: use httptools or h11")


class _HeadTimer(asyncio.Protocol):
    """The header timeout, for either parser's protocol: armed when a connection opens or a response
    ends while no request head is under way, disarmed once one is complete; at its end, a connection
    still awaiting a head (``_awaiting_head``, the parser's own notion) is closed."""

    header_timeout: float = DEFAULT_LIMITS.header_timeout
    _header_timer: asyncio.TimerHandle | None = None
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport

    def _awaiting_head(self) -> bool:
        raise NotImplementedError

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn narrows it
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self._header_timer = self.loop.call_later(self.header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expire(self) -> None:
        self._header_timer = None
        if self._awaiting_head() and not self.transport.is_closing():
            self.transport.close()


class _HeaderTimeout(_HeadTimer, H11Protocol):
    """h11 with the header timeout (its own head size limit is ``h11_max_incomplete_event_size``)."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.IDLE:
            self._arm()

    def _awaiting_head(self) -> bool:
        return self.conn.their_state is h11.IDLE


class _HttpToolsLimits(_HeadTimer, HttpToolsProtocol):
    """httptools with what h11 gives ``_HeaderTimeout``: the header timeout, counted from the connection or
    the end of the previous response until a request head is complete, and a head size limit.

    h11 refuses (400) a head it has buffered past ``h11_max_incomplete_event_size`` bytes; httptools has
    no such limit and would buffer an endless header, so the bytes received while a head is incomplete
    are counted here (after each read, so at most one read past the limit is held) and, once the head
    is complete, its URL and headers too (a long head sent at once); past the limit it is the same 400
    ("Invalid HTTP request received.") and the connection is closed.
    """

    _in_head = True
    """No request head is complete since the connection or the last complete request body."""
    _head_bytes = 0
    _heads = 0
    """Request heads completed on this connection (a read that completes one is not all head bytes)."""

    def data_received(self, data: bytes) -> None:
        was_in_head, heads = self._in_head, self._heads
        super().data_received(data)
        if was_in_head and self._heads == heads and not self.transport.is_closing():  # all of it head bytes
            self._head_bytes += len(data)
            if self._head_bytes > self._max_head():
                self.send_400_response("Invalid HTTP request received.")

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._heads += 1
        self._disarm()
        size = self._head_bytes + len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        self._head_bytes = 0
        if size > self._max_head():
            raise ValueError("request head too large")  # httptools turns it into HttpParserCallbackError: a 400
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0

    def _max_head(self) -> int:
        return self.config.h11_max_incomplete_event_size or DEFAULT_LIMITS.max_header_bytes

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._in_head:
            self._arm()

    def _awaiting_head(self) -> bool:
        return self._in_head


HEADER_TIMEOUT_VARIABLE = "PIKTID_MOCK_HEADER_TIMEOUT"


class EnvironmentHeaderTimeout(_HttpToolsLimits):
    """The protocol of ``serve --workers N``, named by import string (a worker process cannot be
    handed a class made at run time): its timeout is what the parent put in ``HEADER_TIMEOUT_VARIABLE``."""

    header_timeout = float(os.environ.get(HEADER_TIMEOUT_VARIABLE, DEFAULT_LIMITS.header_timeout))
