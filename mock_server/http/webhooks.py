"""``/webhooks`` endpoints: set (new secret + ping), get, delete, test."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mock_server.http.endpoints import user_of
from mock_server.http.parsing import backend_of, read_json
from mock_server.http.render import json_response


async def webhook(request: Request) -> Response:
    user = user_of(request)
    backend = backend_of(request)
    if request.method == "PUT":
        return json_response(backend.put_webhook(user, await read_json(request)))
    if request.method == "DELETE":
        return json_response(backend.delete_webhook(user))
    return json_response(backend.webhook(user))


async def webhook_test(request: Request) -> Response:
    user = user_of(request)
    return json_response(backend_of(request).test_webhook(user))
