"""``StoreGuard``: a store that cannot be reached is a 503 with the v2 error body, never a 500.

Plain ASGI, outside the journal and fault middleware (both use the store): whichever step meets
the unreachable store, the client gets ``store_unavailable`` if no response has started, and the
next request tries the store again, so the mock recovers by itself when Redis is back.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.backend import ApiError
from mock_server.http.render import error_response
from mock_server.store import StoreUnavailable

logger = logging.getLogger("mock_server")


class StoreGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def note(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, note)
        except StoreUnavailable as exc:
            logger.warning("%s %s: %s", scope.get("method"), scope["path"], exc)
            if started:
                return
            error = ApiError("store_unavailable", f"{exc}; try again shortly.")
            await error_response(error)(scope, receive, send)
