"""The one renderer: JSON bodies and the v2 error body for every ``ApiError``."""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mock_server.backend import ApiError, utf8_json

logger = logging.getLogger("mock_server")


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
"""Starlette's ``JSONResponse.render`` settings, built once (``json.dumps`` with them builds one per call)."""


class _Json(JSONResponse):
    def render(self, content: Any) -> bytes:
        return _ENCODER.encode(content).encode("utf-8")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """The same bytes and headers as Starlette's ``JSONResponse``."""
    return _Json(body, status_code=status, headers=headers)


class _RecordJson(JSONResponse):
    """``JSONResponse``'s body and headers for a body without headers of its own, made directly (its
    ``init_headers`` checks names a record's answer never has; this runs on every hot request)."""

    def __init__(self, content: Any, status_code: int = 200) -> None:
        self.status_code, self.background = status_code, None
        self.body = body = utf8_json(content, _ENCODER)
        self.raw_headers = [(b"content-length", str(len(body)).encode()), _JSON_TYPE]


_JSON_TYPE = (b"content-type", JSONResponse.media_type.encode())


def record_response(body: Any, status: int = 200) -> JSONResponse:
    """``json_response`` for a body the mock builds from its own records (a job's results and status,
    the 202 of ``/edit-chat``): the same bytes, encoded by orjson (~5x faster on a results body, the hot
    path of a client polling). Only for such bodies: they hold no NaN or infinity (their numbers come
    from the clock, the price table and counts), which orjson would write as ``null`` where the stdlib
    refuses them. Wherever the two could differ otherwise (see ``may_differ``; a type orjson refuses)
    the stdlib encodes it; a property test compares them on arbitrary JSON values."""
    return _RecordJson(body, status_code=status)


def error_response(error: ApiError) -> JSONResponse:
    return json_response(error.body(), error.status, error.headers)


async def api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    request.state.error = exc
    return error_response(exc)


async def http_error(request: Request, exc: Exception) -> Response:
    """Routing errors (unknown path, wrong method, bad multipart) in the same error body.

    A 405 keeps Starlette's ``Allow`` header: HTTP requires one naming the path's methods.
    """
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
        exc.status_code, "invalid_parameter"
    )
    message = f"No route for {request.method} {request.url.path}." if code == "not_found" else str(exc.detail)
    return error_response(ApiError(code, message, headers=dict(exc.headers or {})))


async def server_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(ApiError("internal_error", "Internal server error in piktid-mock (a bug: please report it)."))
