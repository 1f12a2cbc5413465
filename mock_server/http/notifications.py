"""Notification endpoints: the SSE stream (v2 backfill protocol), polling, and DELETE."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import Response

from mock_server.backend.errors import ApiError
from mock_server.backend.notifications import Filters, Notification, Subscription
from mock_server.backend.service import Backend
from mock_server.http.endpoints import user_of
from mock_server.http.parsing import backend_of, read_json
from mock_server.http.render import json_response


class Keepalive(ServerSentEvent):
    """The service's heartbeat is the bare comment line ``:keepalive``."""

    def encode(self) -> bytes:
        return b":keepalive\n\n"


def _names(value: object, field: str) -> frozenset[str]:
    """A string or a list of strings ("If a single string is given, will be converted to a list")."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset(v for v in value.split(",") if v)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    raise ApiError("invalid_parameter", f"{field}: a string or a list of strings.", field=field)


def _frame(n: Notification, event: str | None = None) -> ServerSentEvent:
    return ServerSentEvent(json.dumps(n.as_json()), event=event, id=str(n.id), sep="\n")


def _last_event_id(request: Request) -> int:
    raw = request.headers.get("last-event-id", "")
    return int(raw) if raw.isdigit() else 0


async def _frames(backend: Backend, sub: Subscription, backlog: list[Notification],
                  last_id: int) -> AsyncIterator[ServerSentEvent]:
    try:
        for n in backlog:
            yield _frame(n, "backfill")
        last_id = backlog[-1].id if backlog else last_id
        yield ServerSentEvent("{}", event="backfill_complete", id=str(last_id), sep="\n")
        while True:
            n = await sub.queue.get()
            if n.id > last_id and not n.deleted:
                yield _frame(n)
            if backend.faults.drop_stream(sub.owner):
                return
    finally:
        backend.notifications.unsubscribe(sub)


async def events(request: Request) -> Response:
    """``event: backfill`` frames, one ``backfill_complete`` (``data: {}``), then live ``data:`` frames."""
    user = user_of(request, allow_query=True)
    backend = backend_of(request)
    q = request.query_params
    filters = Filters(_names(q.get("id_task"), "id_task"), _names(q.get("name_list"), "name_list"),
                      _names(q.get("id_image"), "id_image"))
    last_id = _last_event_id(request)
    sub = backend.notifications.subscribe(user.token, filters)
    backlog = backend.notifications.backfill(user.token, filters, backend.settings.backfill_horizon, after=last_id)
    return EventSourceResponse(_frames(backend, sub, backlog, last_id), ping=backend.settings.keepalive,
                               ping_message_factory=Keepalive, sep="\n",
                               headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def list_notifications(request: Request) -> Response:
    """``POST /notifications {"id_task"?, "name_list"?}``: a bare JSON array, oldest first."""
    user = user_of(request)
    body = await read_json(request, optional=True)
    if not isinstance(body, dict):
        raise ApiError("invalid_body")
    filters = Filters(_names(body.get("id_task"), "id_task"), _names(body.get("name_list"), "name_list"))
    return json_response([n.as_json() for n in backend_of(request).notifications.live(user.token, filters)])


async def delete_notification(request: Request) -> Response:
    user = user_of(request)
    raw = request.path_params["notification_id"]
    if not raw.isdigit():
        raise ApiError("notification_not_found", f"notification {raw!r} not found.")
    n = backend_of(request).notifications.delete(user.token, int(raw))
    return json_response({"deleted": True, "id": n.id})
