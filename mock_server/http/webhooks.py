"""``/webhooks`` endpoints: set (new secret + ping), get, delete, test."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mock_server.http.endpoints import user_of
from mock_server.http.parsing import backend_of, read_json
from mock_server.http.render import json_response


async def webhook(request: Request) -> Response:
    user = user_of(request)
    hooks = backend_of(request).webhooks
    if request.method == "PUT":
        return json_response(hooks.put(user.token, await read_json(request)))
    if request.method == "DELETE":
        return json_response(hooks.delete(user.token))
    return json_response(hooks.get(user.token).as_json())


async def webhook_test(request: Request) -> Response:
    user = user_of(request)
    return json_response(backend_of(request).webhooks.test(user.token))
