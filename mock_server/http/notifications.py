"""Notification endpoints: the SSE stream (v2 backfill protocol), polling, and DELETE."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mock_server.backend import ApiError, Filters, ascii_int
from mock_server.http.endpoints import user_of
from mock_server.http.parsing import backend_of, read_json, runtime_of
from mock_server.http.render import json_response


def _names(value: object, field: str) -> frozenset[str]:
    """A string or a list of strings ("If a single string is given, will be converted to a list")."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset(v for v in value.split(",") if v)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    raise ApiError("invalid_parameter", f"{field}: a string or a list of strings.", field=field)


def _query_names(request: Request, field: str) -> frozenset[str]:
    return frozenset(name for value in request.query_params.getlist(field) for name in _names(value, field))


def _last_event_id(request: Request) -> int:
    """The id to resume after; a header that is no id means from the start (as with none)."""
    return ascii_int(request.headers.get("last-event-id", "")) or 0


async def events(request: Request) -> Response:
    """``event: backfill`` frames, one ``backfill_complete`` (``data: {}``), then live ``data:`` frames.

    Every frame has an ``id:`` line; ``Last-Event-ID`` resumes after that id. Query filters may be
    repeated or comma-separated.
    """
    user = user_of(request, allow_query=True)
    backend = backend_of(request)
    filters = Filters(
        _query_names(request, "id_task"), _query_names(request, "name_list"), _query_names(request, "id_image")
    )
    # sse_starlette (and the uvicorn it imports) loads with the first stream, not with the app
    from mock_server.http.sse import stream_response

    frames = runtime_of(request).streams.frames(backend, user.token, filters, _last_event_id(request))
    return stream_response(frames, backend.settings.keepalive)


async def list_notifications(request: Request) -> Response:
    """``POST /notifications {"id_task"?, "name_list"?}``: a bare JSON array, oldest first."""
    user = user_of(request)
    body = await read_json(request, optional=True)
    if not isinstance(body, dict):
        raise ApiError("invalid_body")
    filters = Filters(_names(body.get("id_task"), "id_task"), _names(body.get("name_list"), "name_list"))
    return json_response(backend_of(request).notifications(user, filters))


async def delete_notification(request: Request) -> Response:
    """``DELETE /notifications/{id}`` consumes one: never replayed again; 404 if unknown or another user's."""
    user = user_of(request)
    raw = request.path_params["notification_id"]
    number = ascii_int(raw)
    if number is None:
        raise ApiError("notification_not_found", f"notification {raw!r} not found.")
    return json_response(backend_of(request).delete_notification(user, number))
