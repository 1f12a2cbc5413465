"""The notification stream's SSE framing (sse_starlette), loaded with the first ``/notifications/events``."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator

from sse_starlette import EventSourceResponse, ServerSentEvent

from mock_server.backend import Notification
from mock_server.runtime import Frame


class Keepalive(ServerSentEvent):
    """The service's heartbeat is the bare comment line ``:keepalive``."""

    def encode(self) -> bytes:
        return b":keepalive\n\n"


def _frame(n: Notification, event: str | None = None) -> ServerSentEvent:
    return ServerSentEvent(json.dumps(n.as_json()), event=event, id=str(n.id), sep="\n")


async def _events(frames: AsyncGenerator[Frame, None]) -> AsyncIterator[ServerSentEvent]:
    """The runtime's frames as SSE: ``event: backfill``, one ``backfill_complete`` (``data: {}``), live
    ``data:``. Closing this closes ``frames`` at once, which frees the stream's subscription."""
    try:
        async for frame in frames:
            if frame.notification is None:
                yield ServerSentEvent("{}", event="backfill_complete", id=str(frame.id), sep="\n")
            else:
                yield _frame(frame.notification, "backfill" if frame.kind == "backfill" else None)
    finally:
        await frames.aclose()


def stream_response(frames: AsyncGenerator[Frame, None], keepalive: float) -> EventSourceResponse:
    """The response streaming ``frames``, with a ``:keepalive`` comment every ``keepalive`` seconds."""
    return EventSourceResponse(
        _events(frames),
        ping=keepalive,
        ping_message_factory=Keepalive,
        sep="\n",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
