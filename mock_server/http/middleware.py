"""Plain ASGI middleware: the request journal and injected faults (status, latency)."""

from __future__ import annotations

import time
from typing import Any

import anyio
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.backend import ApiError, Backend
from mock_server.http.parsing import bearer
from mock_server.http.render import error_response
from mock_server.store import StoreUnavailable

CONTROL_PREFIX = "/_mock"


class Cors:
    """Starlette's ``CORSMiddleware``, with its answer to a request without ``Origin`` inlined.

    Without an ``Origin`` header Starlette only folds the response's ``Vary`` headers into one and adds
    ``Origin`` to it; that is done here on the raw header list, without its per-request ``Headers``
    objects and ``functools.partial``. Preflights and requests with an ``Origin`` go to Starlette.
    """

    def __init__(
        self,
        app: ASGIApp,
        allow_origins: list[str],
        allow_methods: list[str],
        allow_headers: list[str],
        expose_headers: list[str],
        max_age: int,
    ) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=allow_origins,
            allow_methods=allow_methods,
            allow_headers=allow_headers,
            expose_headers=expose_headers,
            max_age=max_age,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _has_origin(scope["headers"]):
            return await self.cors(scope, receive, send)

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":  # as MutableHeaders.__setitem__("Vary", ...)
                headers = list(message.get("headers", []))
                found = [i for i, (key, _) in enumerate(headers) if key == b"vary"]
                if not found:  # the usual answer: one header appended, nothing to fold
                    headers.append((b"vary", b"Origin"))
                    message["headers"] = headers
                    return await send(message)
                value = ", ".join([*(headers[i][1].decode("latin-1") for i in found), "Origin"]).encode("latin-1")
                for i in reversed(found[1:]):
                    del headers[i]
                if found:
                    headers[found[0]] = (b"vary", value)
                else:
                    headers.append((b"vary", value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_vary)


def _has_origin(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the request names an ``Origin`` (a loop: ``any()`` over a generator costs more, on every request)."""
    for key, _ in headers:  # noqa: SIM110
        if key == b"origin":
            return True
    return False


def _token(scope: Scope) -> str | None:
    """The caller's token as the endpoints read it (header, or ``?token=`` on the SSE stream)."""
    return bearer(Request(scope), allow_query=scope["path"] == "/notifications/events")


def _violations(state: dict[str, Any]) -> list[dict[str, Any]]:
    error = state.get("error")
    found = error.violations if isinstance(error, ApiError) else state.get("warnings", [])
    return [v.as_dict() for v in found]


class JournalMiddleware:
    """Records every API request (not the control API) with its status and spec violations."""

    def __init__(self, app: ASGIApp, backend: Backend) -> None:
        self.app, self.backend = app, backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            return await self.app(scope, receive, send)
        started, recorded = time.perf_counter(), False

        async def send_and_note(message: Message) -> None:
            nonlocal recorded
            if message["type"] == "http.response.start":
                recorded = True
                self._record(scope, message["status"], started)
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except StoreUnavailable:
            raise  # a 503 from StoreGuard, and no store to journal it in
        except Exception:
            if not recorded:  # the 500 is sent further out, by ServerErrorMiddleware: journal it here
                scope.setdefault("state", {})["error"] = ApiError(
                    "internal_error", "Internal server error in piktid-mock (a bug)"
                )
                self._record(scope, 500, started)
            raise

    def _record(self, scope: Scope, status: int, started: float) -> None:
        state = scope.get("state", {})
        error = state.get("error")
        self.backend.record_request(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            user=state.get("user") or _token(scope),
            status=status,
            code=error.code if isinstance(error, ApiError) else None,
            violations=_violations(state),
            duration=round(time.perf_counter() - started, 6),
            body=state.get("payload"),
        )


class FaultMiddleware:
    """Applies ``status`` and ``latency`` fault rules before the request reaches its endpoint."""

    def __init__(self, app: ASGIApp, backend: Backend) -> None:
        self.app, self.backend = app, backend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX) or not self.backend.has_faults():
            return await self.app(scope, receive, send)
        method, path, token = scope["method"], scope["path"], _token(scope)
        delay = self.backend.take_latency(method, path, token)
        if delay is not None:
            await anyio.sleep(delay)
        error = self.backend.take_injected_error(method, path, token)
        if error is None:
            return await self.app(scope, receive, send)
        scope.setdefault("state", {})["error"] = error
        await error_response(error)(scope, receive, send)
