"""``Edge``: the one plain-ASGI pass in front of the routes (CORS, store guard, journal, faults).

Four concerns, one layer: each request crosses one ``__call__`` and each message one ``send``
wrapper instead of four of each (they were four middlewares; on a ``POST /edit-chat`` their layers
and closures cost as much as the journal record itself). Their order, outermost first, is unchanged:

1. CORS: a request with an ``Origin`` (and every preflight) goes through Starlette's
   ``CORSMiddleware``; without one the answer only gets ``Vary: Origin`` folded into its headers,
   done here on the raw header list (what Starlette does, without its per-request objects).
2. Store guard: a store that cannot be reached is a 503 ``store_unavailable`` with the v2 error body,
   never a 500, if no response has started; the next request tries the store again.
3. Journal: every API request (not the control API) is recorded with its status and violations
   when its response starts (an unhandled error is recorded as the 500 sent further out).
4. Faults: ``latency`` and ``status`` rules apply before the request reaches its endpoint.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Sequence
from typing import Any

import anyio
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.backend import ApiError, Backend
from mock_server.http.dispatch import Dispatch
from mock_server.http.parsing import BACKEND_KEY, bearer
from mock_server.http.render import error_response
from mock_server.store import StoreUnavailable
from piktid_spec import Violation

CONTROL_PREFIX = "/_mock"
logger = logging.getLogger("mock_server")


class Edge:
    """CORS (``cors``: ``CORSMiddleware``'s options, None for none), the store guard, the journal and
    fault injection around ``app``, in one plain-ASGI pass (see the module docstring)."""

    def __init__(
        self, app: ASGIApp, backend: Backend, cors: dict[str, Any] | None = None, routes: Sequence[BaseRoute] = ()
    ) -> None:
        self.app, self.backend = app, backend
        self.dispatch = Dispatch(routes)
        """``routes``' plain-ASGI endpoints, called without the router (``http/dispatch.py``)."""
        self.vary = cors is not None
        """Answers without ``Origin`` get ``Vary: Origin`` (Starlette's CORS does so whenever it is on)."""
        self.cors = None if cors is None else CORSMiddleware(self._without_vary, **cors)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """The awaitable of the part that takes the request (not an ``async def``: one coroutine fewer per
        request, which the caller awaits as it would this one's)."""
        if scope["type"] != "http":
            return self.app(scope, receive, send)
        if self.cors is not None and _has_origin(scope["headers"]):
            return self.cors(scope, receive, send)
        return self._guarded(scope, receive, send, self.vary)

    async def _without_vary(self, scope: Scope, receive: Receive, send: Send) -> None:
        """What Starlette's ``CORSMiddleware`` wraps: the rest of the pass (it sets ``Vary`` itself)."""
        await self._guarded(scope, receive, send, False)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, vary: bool) -> None:
        scope[BACKEND_KEY] = self.backend
        api = not scope["path"].startswith(CONTROL_PREFIX)
        started_at, started, recorded = time.perf_counter(), False, False

        async def edge_send(message: Message) -> None:
            nonlocal started, recorded
            if message["type"] == "http.response.start":
                if api:  # journalled before the store guard counts the response as started, as before
                    recorded = True
                    self._record(scope, message["status"], started_at)
                started = True
                if vary:
                    _add_vary(message)
            await send(message)

        try:
            try:
                if not api:
                    await self.app(scope, receive, edge_send)
                else:  # fault rules apply first; with none (the usual request) straight to the endpoint
                    self.backend.follow_clock()
                    if self.backend.has_faults():
                        await self._faulted(scope, receive, edge_send)
                    else:
                        await (self.dispatch.find(scope) or self.app)(scope, receive, edge_send)
            except StoreUnavailable:
                raise  # a 503 below, and no store to journal it in
            except Exception:
                if api and not recorded:  # the 500 is sent further out, by ServerErrorMiddleware: journal it here
                    scope.setdefault("state", {})["error"] = ApiError(
                        "internal_error", "Internal server error in piktid-mock (a bug)"
                    )
                    self._record(scope, 500, started_at)
                raise
        except StoreUnavailable as exc:
            logger.warning("%s %s: %s", scope.get("method"), scope["path"], exc)
            if not started:
                error = ApiError("store_unavailable", f"{exc}; try again shortly.")
                await error_response(error)(scope, receive, _with_vary(send) if vary else send)
        finally:  # journalled already: the error's traceback holds frames holding this scope (a cycle)
            if "state" in scope:
                scope["state"].pop("error", None)

    async def _faulted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Applies ``status`` and ``latency`` fault rules before the request reaches its endpoint."""
        method, path, token = scope["method"], scope["path"], _token(scope)
        delay = self.backend.take_latency(method, path, token)
        if delay is not None:
            await anyio.sleep(delay)
        error = self.backend.take_injected_error(method, path, token)
        if error is None:
            return await (self.dispatch.find(scope) or self.app)(scope, receive, send)
        scope.setdefault("state", {})["error"] = error
        await error_response(error)(scope, receive, send)

    def _record(self, scope: Scope, status: int, started_at: float) -> None:
        state = scope.get("state") or _NO_STATE
        error = state.get("error")
        found: list[Violation] | None
        if isinstance(error, ApiError):
            code, found = error.code, error.violations
        else:  # answered: the warnings a non-strict mock let through
            code, found = None, state.get("warnings")
        self.backend.record_request(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            user=state.get("user") or _token(scope),
            status=status,
            code=code,
            violations=[v.as_dict() for v in found] if found else [],
            duration=round(time.perf_counter() - started_at, 6),
            body=state.get("payload"),
        )


_NO_STATE: dict[str, Any] = {}
_VARY = (b"vary", b"Origin")


def _has_origin(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the request names an ``Origin`` (a loop: ``any()`` over a generator costs more, on every request)."""
    for key, _ in headers:  # noqa: SIM110
        if key == b"origin":
            return True
    return False


def _add_vary(message: Message) -> None:
    """``Vary: Origin`` on a response start, as Starlette's ``MutableHeaders.__setitem__("Vary", ...)`` folds it."""
    headers = message.get("headers", ())
    for key, _ in headers:
        if key == b"vary":
            break
    else:  # the usual answer: one header appended to a copy, nothing to fold
        message["headers"] = [*headers, _VARY]
        return
    headers = list(headers)
    found = [i for i, (key, _) in enumerate(headers) if key == b"vary"]
    value = ", ".join([*(headers[i][1].decode("latin-1") for i in found), "Origin"]).encode("latin-1")
    for i in reversed(found[1:]):
        del headers[i]
    headers[found[0]] = (b"vary", value)
    message["headers"] = headers


def _with_vary(send: Send) -> Send:
    async def send_with_vary(message: Message) -> None:
        if message["type"] == "http.response.start":
            _add_vary(message)
        await send(message)

    return send_with_vary


def _token(scope: Scope) -> str | None:
    """The caller's token as the endpoints read it (header, or ``?token=`` on the SSE stream)."""
    return bearer(Request(scope), allow_query=scope["path"] == "/notifications/events")
