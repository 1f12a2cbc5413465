"""``mock_piktid``: httpx (sync and async) routed to an in-process mock through respx, streaming.

respx's own ASGI handler is async-only and httpx's ``ASGITransport`` buffers whole bodies, so
neither serves a sync ``httpx.Client`` nor streams SSE. Here an event loop in a background thread
owns the app (its lifespan, scheduler and state); a sync caller runs that loop on its own thread
while the loop thread sleeps (``testing/_loop.py``: no thread crossing per call). The router answers
the base URL before respx's route matching (httpcore's request itself when respx would ask it first,
``testing/_patches.py``), hands each request to the loop and returns the response as soon as its
headers are sent, with a body stream fed chunk by chunk (``testing/_exchange.py``): ``image_result``
frames reach the client while the stream is open, as over a socket.
Closing the response tells the app the client went away (``http.disconnect``), which frees the
SSE stream's subscription at once.

Hosts: ``base_url`` goes to the mock (the API, and the upload and output links, which use the same
base). Loopback hosts (127.0.0.1, localhost, ::1) pass through to the network, so webhook
deliveries reach a local receiver and a test's own local servers stay reachable. Any other host
fails as under ``respx.mock`` (``AllMockedAssertionError``), unless ``assert_all_mocked=False``.
Async clients must run on asyncio. A read timeout set on the client applies to the response start
and to each body chunk, as it would over a socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import functools
import inspect
import threading
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpcore
import httpx
from respx.mocks import HTTPCoreMocker, Mocker
from starlette.applications import Starlette

from mock_server.backend import Backend
from mock_server.http import storage
from mock_server.http.app import create_app
from mock_server.settings import Settings
from mock_server.testing._control import MockControl
from mock_server.testing._exchange import (
    async_exchange,
    core_scope_of,
    default_port,
    read_timeout,
    scope_of,
    sync_exchange,
)
from mock_server.testing._loop import LoopThread
from mock_server.testing._patches import DirectRouter, start_httpcore_patches

DEFAULT_BASE_URL = "https://v2.api.piktid.com"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
LOOP_TIMEOUT = 10.0
"""Seconds to wait for the loop to start, run the lifespan, or shut down."""
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

_IDLE_LOOPS: list[LoopThread] = []
_IDLE_LOCK = threading.Lock()
MAX_IDLE_LOOPS = 2
"""Loop threads kept for the next mock once a mock that is not kept whole (``_KEPT``) exits: starting a thread
and a loop per test costs more than the test's own calls. Such a mock gets its own app, backend, lifespan and
tasks (all ended on exit)."""


def _borrow_loop() -> LoopThread:
    with _IDLE_LOCK:
        while _IDLE_LOOPS:
            held = _IDLE_LOOPS.pop()
            if held.alive():
                return held
    return LoopThread()


def _return_loop(held: LoopThread) -> None:
    with _IDLE_LOCK:
        if len(_IDLE_LOOPS) < MAX_IDLE_LOOPS and held.alive():
            _IDLE_LOOPS.append(held)
            return
    held.stop()


class Bridge:
    """An event loop (``LoopThread``) that owns ``app``: its lifespan, its state and every exchange.

    ``sync_respond`` serves a sync client (on the calling thread when the loop thread sleeps, see
    ``testing/_loop.py``), ``arespond`` an async one by awaiting on its own loop; either way the app only
    ever runs on the bridge's loop. The loop thread is borrowed from a small pool and handed back clean
    (no task, no timer of this app left on it) by ``stop``. Between two ``mock_piktid`` entries a bridge
    may instead be kept whole: ``quiesce`` at the end of one, ``renew`` at the start of the next (see
    ``_take_bridge``).
    """

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.backend: Backend = app.state.backend
        self._edge = (list(self.backend.listeners), self.backend.sender)
        """The runtime's hooks on the backend as built: a renewal drops anything a test added."""
        self._held: LoopThread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._lifespan = contextlib.AsyncExitStack()

    def start(self) -> Bridge:
        self._held = _borrow_loop()
        self.loop = self._held.loop
        try:
            self._call(self._lifespan.enter_async_context(self.app.router.lifespan_context(self.app)))
        except BaseException:
            self._release(clean=False)
            raise
        return self

    def stop(self) -> None:
        """Cancel what still runs (open streams, webhook attempts), run the lifespan's shutdown, hand the loop back."""
        if self._held is None:
            return
        clean = False
        try:
            clean = self._call(self._shutdown())
        finally:
            self._release(clean)

    def _release(self, clean: bool) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        if clean:
            _return_loop(held)
        else:
            held.stop()

    def sync_respond(self, request: httpx.Request) -> httpx.Response:
        """Blocks until the response starts; its body then streams from a thread-safe queue."""
        timeout = read_timeout(request.extensions)
        status, headers, body = sync_exchange(
            self._running(), self.app, scope_of(request), request.content, timeout, request
        )
        stream = httpx.ByteStream(body) if isinstance(body, bytes) else body
        return httpx.Response(status, headers=headers, stream=stream, request=request)

    async def arespond(self, request: httpx.Request) -> httpx.Response:
        """Awaits the response start on the caller's loop; the body streams from a queue on that loop."""
        timeout = read_timeout(request.extensions)
        status, headers, body = await async_exchange(
            self._running(), self.app, scope_of(request), request.content, timeout, request
        )
        stream = httpx.ByteStream(body) if isinstance(body, bytes) else body
        return httpx.Response(status, headers=headers, stream=stream, request=request)

    def respond_core(self, request: httpcore.Request, server: tuple[str, int]) -> httpcore.Response:
        """As ``sync_respond``, for httpcore's request and with httpcore's response (``_patches``)."""
        body = b"".join(request.stream)  # type: ignore[arg-type]  # a sync client's request stream
        timeout = read_timeout(request.extensions)
        status, headers, content = sync_exchange(
            self._running(), self.app, core_scope_of(request, server), body, timeout, None
        )
        return httpcore.Response(status, headers=headers, content=content)

    async def arespond_core(self, request: httpcore.Request, server: tuple[str, int]) -> httpcore.Response:
        """As ``arespond``, for httpcore's request and with httpcore's response (``_patches``)."""
        body = b"".join([chunk async for chunk in request.stream])  # type: ignore[union-attr]  # an async client's
        timeout = read_timeout(request.extensions)
        status, headers, content = await async_exchange(
            self._running(), self.app, core_scope_of(request, server), body, timeout, None
        )
        return httpcore.Response(status, headers=headers, content=content)

    def _running(self) -> LoopThread:
        if self._held is None:
            raise RuntimeError("piktid-mock: this mock is not active (its context has exited)")
        return self._held

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._running().submit(coro).result(LOOP_TIMEOUT)

    def quiesce(self) -> bool:
        """End what the last entry left running (streams, webhook attempts, a test's own tasks) and the
        timer, keeping the app and its lifespan; True when nothing of it still runs (it may be kept)."""
        return self._held is not None and self._call(self._quiesce())

    def renew(self, settings: Settings) -> None:
        """The kept app as a new build with ``settings`` would be (``Backend.renew``), on its loop."""
        self._call(self._renew(settings))

    async def _quiesce(self) -> bool:
        await _cancel_others()
        runtime = self.app.state.runtime
        runtime.stop()
        runtime.timer.cancel()
        return _nothing_else_runs()

    async def _renew(self, settings: Settings) -> None:
        backend = self.backend
        backend.listeners[:] = self._edge[0]
        backend.sender = self._edge[1]
        backend.renew(settings)
        self.app.state.renders = storage.RenderCache(settings.render_cache_size, settings.render_concurrency)

    async def _shutdown(self) -> bool:
        """True when the loop is left clean (nothing of this app still running on it)."""
        await _cancel_others()
        await self._lifespan.aclose()
        runtime = getattr(self.app.state, "runtime", None)
        if runtime is not None:  # the loop outlives this app: no timer of it may fire there later
            runtime.timer.cancel()
        return _nothing_else_runs()


async def _cancel_others() -> None:
    """Cancel every task of the running loop but the current one, and wait (bounded) for them to end."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=LOOP_TIMEOUT)


def _nothing_else_runs() -> bool:
    return not any(t is not asyncio.current_task() and not t.done() for t in asyncio.all_tasks())


class _Router(DirectRouter):
    """A respx router that answers the base URL from the active bridge before any route matching.

    Building one (its patterns) costs more than a test's calls, so routers are kept in a pool and only
    started and stopped per mock; ``bridge`` is None while the router sits in the pool.

    respx's own resolution (patterns, a side effect whose signature it inspects on every call, call
    records nobody reads here) cost each call about as much as the mock's answer; only the loopback
    pass-through and the refusal of other hosts still go through it. Errors reach the client as the
    side effect's did (respx re-raised the original exception). When it is the first router respx
    would ask, it answers httpcore's request directly (``_patches.DirectRouter``); else respx asks it
    through ``handler`` with httpx's request, and the answer is the same.
    """

    def __init__(self, base_url: httpx.URL, assert_all_mocked: bool) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=assert_all_mocked)
        port = base_url.port or default_port(base_url.scheme)
        self.origin = (base_url.scheme, base_url.host, port)
        self.raw_origin = (base_url.raw_scheme, base_url.raw_host, port)
        self.server = (base_url.host, port)
        self.bridge: Bridge | None = None
        self.route(host__in=LOOPBACK_HOSTS, name="loopback").pass_through()

    def start(self) -> None:
        """Register with respx's mocker and patch httpcore (``_patches``); no snapshot of routes that never change."""
        mocker = Mocker.registry.get(self.using or "")
        if mocker is not HTTPCoreMocker:
            super().start()
            return
        self.Mocker = mocker
        mocker.register(self)
        start_httpcore_patches()

    def stop(self, clear: bool = True, reset: bool = True, quiet: bool = False) -> None:
        """Unregister, forget the pass-through calls, and unpatch when no respx router is left (respx's stop)."""
        if self.Mocker is not HTTPCoreMocker:
            super().stop(clear=clear, reset=reset, quiet=quiet)
            return
        HTTPCoreMocker.unregister(self)
        self.reset()
        HTTPCoreMocker.stop()

    def _serves(self, url: httpx.URL) -> bool:
        return (url.scheme, url.host, url.port or default_port(url.scheme)) == self.origin

    def answers(self, url: httpcore.URL) -> tuple[str, int] | None:
        port = url.port or default_port(url.scheme.decode("ascii"))
        return self.server if (url.scheme, url.host, port) == self.raw_origin else None

    def respond_core(self, request: httpcore.Request, server: tuple[str, int]) -> httpcore.Response:
        return self._active().respond_core(request, server)

    async def arespond_core(self, request: httpcore.Request, server: tuple[str, int]) -> httpcore.Response:
        return await self._active().arespond_core(request, server)

    def _active(self) -> Bridge:
        bridge = self.bridge
        if bridge is None:
            raise RuntimeError("piktid-mock: this mock is not active (its context has exited)")
        return bridge

    def handler(self, request: httpx.Request) -> httpx.Response:
        if not self._serves(request.url):
            return super().handler(request)
        response = self._active().sync_respond(request)
        if isinstance(response.stream, httpx.ByteStream):
            response.read()  # as respx pre-reads a whole body
        return response

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        if not self._serves(request.url):
            return await super().async_handler(request)
        response = await self._active().arespond(request)
        if isinstance(response.stream, httpx.ByteStream):
            await response.aread()
        return response


_IDLE_ROUTERS: dict[tuple[str, bool], list[_Router]] = {}


def _take_router(bridge: Bridge, base_url: httpx.URL, assert_all_mocked: bool) -> _Router:
    with _IDLE_LOCK:
        idle = _IDLE_ROUTERS.get((str(base_url), assert_all_mocked))
        router = idle.pop() if idle else None
    router = router or _Router(base_url, assert_all_mocked)
    router.bridge = bridge
    return router


def _give_router(router: _Router, base_url: httpx.URL, assert_all_mocked: bool) -> None:
    router.bridge = None
    with _IDLE_LOCK:
        idle = _IDLE_ROUTERS.setdefault((str(base_url), assert_all_mocked), [])
        if len(idle) < MAX_IDLE_LOOPS:
            idle.append(router)


_SETTINGS_FIELDS = tuple(f.name for f in dataclasses.fields(Settings) if f.name != "extra_users")
_KEPT: OrderedDict[tuple[Any, ...], list[Bridge]] = OrderedDict()
MAX_KEPT = 2
"""Whole mocks (loop thread, app, backend) kept between entries, in all, the least recently kept settings
making room first: building and starting one costs more than the reset that makes a kept one new."""


def _kept_key(settings: Settings) -> tuple[Any, ...] | None:
    """What a kept mock must have been built with to serve ``settings``; None when it cannot be kept.

    Only the memory store: a shared store's feed and key space belong to a running mock. The key holds
    the values, not the object, so a test changing its settings later changes nothing kept; settings
    that are not all hashable values (``extra_users``) are never kept (``Settings`` makes a list given
    for a tuple a tuple).
    """
    if settings.store != "memory" or settings.extra_users:
        return None
    key = tuple(getattr(settings, name) for name in _SETTINGS_FIELDS)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _take_bridge(settings: Settings, key: tuple[Any, ...] | None) -> Bridge:
    """A started bridge for ``settings``: a kept one renewed, or a new build.

    A renewed mock is what a new build would be (``Backend.renew``: state, faults, clock, journal,
    webhooks, notifications, preset users, seeded ids; a fresh settings copy and render cache), on an
    app and loop whose previous entry ended with nothing left running (``Bridge.quiesce``).
    """
    with _IDLE_LOCK:
        kept = _KEPT.get(key) if key is not None else None
        bridge = kept.pop() if kept else None
    if bridge is None:
        return Bridge(create_app(backend=Backend(dataclasses.replace(settings), fresh=True))).start()
    try:
        # a shallow copy, as replace() makes, without re-running the checks those equal values passed
        bridge.renew(copy.copy(settings))
    except BaseException:
        bridge.stop()
        raise
    return bridge


def _give_bridge(bridge: Bridge, key: tuple[Any, ...] | None) -> None:
    """Keep ``bridge`` for a later entry when it can be (nothing left running, room), else stop it.

    Its state stays until then, so a test may still read its ``MockControl`` after the ``with`` block."""
    if key is None or not bridge.quiesce():
        bridge.stop()
        return
    with _IDLE_LOCK:
        _KEPT.setdefault(key, []).append(bridge)
        _KEPT.move_to_end(key)
        evicted = _evict_over(MAX_KEPT)
    for old in evicted:
        old.stop()


def _evict_over(limit: int) -> list[Bridge]:
    """Take the least recently kept bridges out of ``_KEPT`` until it holds ``limit`` (under ``_IDLE_LOCK``)."""
    evicted = []
    while sum(len(kept) for kept in _KEPT.values()) > limit:
        key, kept = next(iter(_KEPT.items()))
        evicted.append(kept.pop(0))
        if not kept:
            del _KEPT[key]
    return evicted


class MockPiktid:
    """What ``mock_piktid(...)`` returns: a context manager (``with`` or ``async with``) and a decorator.

    Each entry gets a mock in a new state (a new build, or a kept one renewed, see ``_take_bridge``) and
    yields its ``MockControl``.
    """

    def __init__(self, settings: Settings, base_url: httpx.URL, assert_all_mocked: bool) -> None:
        self.settings, self.base_url, self.assert_all_mocked = settings, base_url, assert_all_mocked
        self._active: tuple[Bridge, _Router, tuple[Any, ...] | None] | None = None

    def __enter__(self) -> MockControl:
        if self._active is not None:
            raise RuntimeError("this mock_piktid() is already active; call mock_piktid() again for another")
        key = _kept_key(self.settings)
        bridge = _take_bridge(self.settings, key)
        router = _take_router(bridge, self.base_url, self.assert_all_mocked)
        try:
            router.start()
        except BaseException:
            router.bridge = None
            bridge.stop()
            raise
        self._active = (bridge, router, key)
        return MockControl(bridge.backend)

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._active is None:
            return
        bridge, router, key = self._active
        self._active = None
        try:
            router.stop(quiet=True)
            _give_router(router, self.base_url, self.assert_all_mocked)
        finally:
            router.bridge = None
            _give_bridge(bridge, key)

    async def __aenter__(self) -> MockControl:
        return self.__enter__()

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.__exit__(*exc)

    def __call__(self, func: F) -> F:
        """Decorate a sync or async function; a parameter named ``piktid_mock`` receives the control."""
        inject = "piktid_mock" in inspect.signature(func).parameters
        fresh = functools.partial(MockPiktid, self.settings, self.base_url, self.assert_all_mocked)
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                async with fresh() as control:
                    return await func(*args, **_with_control(kwargs, inject, control))

            wrapper: Callable[..., Any] = async_wrapper
        else:

            @functools.wraps(func)
            def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                with fresh() as control:
                    return func(*args, **_with_control(kwargs, inject, control))

            wrapper = sync_wrapper
        if inject:
            wrapper.__signature__ = _without(inspect.signature(func), "piktid_mock")  # type: ignore[attr-defined]  # inspect reads it; functions do not declare it
        return wrapper  # type: ignore[return-value]  # same call signature as func, minus the injected fixture


def _with_control(kwargs: dict[str, Any], inject: bool, control: MockControl) -> dict[str, Any]:
    return {**kwargs, "piktid_mock": control} if inject else kwargs


def _without(signature: inspect.Signature, name: str) -> inspect.Signature:
    """The signature pytest sees: the injected parameter is not a fixture to look up."""
    return signature.replace(parameters=[p for p in signature.parameters.values() if p.name != name])


@functools.lru_cache(maxsize=16)
def _base(base_url: str) -> httpx.URL:
    """The checked base URL (kept: the fixture asks for the same one every test; an ``httpx.URL`` is immutable)."""
    url = httpx.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host or url.path not in ("", "/") or url.query:
        raise ValueError(f"base_url must be scheme://host[:port] with no path or query, not {base_url!r}")
    return url


def mock_piktid(
    *,
    latency: float | None = None,
    clock: Literal["real", "manual"] | None = None,
    seed: int | None = None,
    settings: Settings | None = None,
    base_url: str = DEFAULT_BASE_URL,
    assert_all_mocked: bool = True,
) -> MockPiktid:
    """Route ``base_url`` (default ``https://v2.api.piktid.com``) to a fresh in-process mock.

    ``with mock_piktid() as control:`` (or ``async with``, or ``@mock_piktid()`` on a sync or async
    function) makes every ``httpx.Client`` and ``httpx.AsyncClient`` request to ``base_url`` reach
    the mock; ``control`` is its ``MockControl``. By default (real clock, latency 0) a job completes
    as soon as it is accepted; ``clock="manual"`` holds every job until ``control.advance(seconds)``.
    ``latency``, ``clock`` and ``seed``, when given, override ``settings`` (default ``Settings()``);
    ``settings.public_url`` is set to ``base_url`` so upload and output links are routed too.
    Loopback hosts pass through to the network; any other host is refused unless
    ``assert_all_mocked=False``.
    """
    overrides: dict[str, Any] = {
        k: v for k, v in (("latency", latency), ("clock", clock), ("seed", seed)) if v is not None
    }
    url = _base(base_url)
    chosen = dataclasses.replace(settings or Settings(), public_url=str(url).rstrip("/"), **overrides)
    return MockPiktid(chosen, url, assert_all_mocked)
