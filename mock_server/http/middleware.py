"""Plain ASGI middleware: the request journal and injected faults (status, latency)."""

from __future__ import annotations

import time
from typing import Any

import anyio
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.backend import ApiError, Backend
from mock_server.http.parsing import bearer
from mock_server.http.render import error_response
from mock_server.store import StoreUnavailable

CONTROL_PREFIX = "/_mock"


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
