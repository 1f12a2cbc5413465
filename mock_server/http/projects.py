"""``/project`` endpoints: create one (``POST``, 409 for a name the user has) and list them (``GET``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mock_server.http.endpoints import user_of
from mock_server.http.parsing import backend_of, read_json
from mock_server.http.render import json_response


async def create_project(request: Request) -> Response:
    user = user_of(request)
    body = await read_json(request)
    request.state.payload = body
    return json_response(backend_of(request).create_project(user, body))


async def list_projects(request: Request) -> Response:
    user = user_of(request)
    return json_response(backend_of(request).list_projects(user, request.query_params))


async def project(request: Request) -> Response:
    """One route for both methods, so a 405 on ``/project`` names both in its ``Allow`` header."""
    return await (create_project if request.method == "POST" else list_projects)(request)
