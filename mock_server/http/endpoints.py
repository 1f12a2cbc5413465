"""API endpoints: each parses, calls one ``Backend`` operation, renders. No rules live here."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope

from mock_server.backend import ApiError, User, ascii_int
from mock_server.http.parsing import (
    backend_of,
    base_url,
    bearer,
    bearer_token,
    first_headers,
    header,
    note,
    parse_json,
    read_json,
    receive_body,
    scope_backend,
    scope_base_url,
)
from mock_server.http.render import json_response, record_response
from mock_server.runtime import suspending

OUTCOME_HEADER = "x-mock-scenario"


def user_of(request: Request, *, allow_query: bool = False, account_only: bool = False) -> User:
    """The request's user (401 unknown); ``account_only``: the endpoint does not show its credits."""
    user = backend_of(request).authenticate(bearer(request, allow_query=allow_query), account_only=account_only)
    note(request, "user", user.token)
    return user


def requested_outcome(request: Request) -> str | None:
    """``X-Mock-Scenario: failed`` or ``Prefer: outcome=failed`` picks this request's variation outcome."""
    return outcome_of(header(request, b"x-mock-scenario"), header(request, b"prefer"))


def outcome_of(value: str | None, prefer: str | None) -> str | None:
    """``requested_outcome`` from the two headers' values (None: absent)."""
    if value is None:
        if prefer is None:  # the usual request: neither header
            return None
        value = next(
            (
                p.split("=", 1)[1].strip()
                for p in prefer.split(";") + prefer.split(",")
                if p.strip().startswith("outcome=")
            ),
            None,
        )
    if value is None:
        return None
    if value not in ("completed", "failed", "refused"):
        raise ApiError(
            "invalid_parameter",
            f"{OUTCOME_HEADER}: use completed, failed or refused (got {value!r}).",
            detail=[
                {
                    "field": OUTCOME_HEADER,
                    "message": "use completed, failed or refused",
                    "position": "header",
                    "code": "invalid_parameter",
                }
            ],
        )
    return value


async def upload(request: Request) -> Response:
    user = user_of(request)
    body = await read_json(request, optional=True)
    return json_response(backend_of(request).upload(user, body, base_url(request)))


async def edit_chat(scope: Scope, receive: Receive) -> Response:
    """``user_of`` (its credits are decided by the store's reservation), ``requested_outcome``, ``read_json``,
    then the backend, each noted for the journal: written out over one read of the headers and of the
    scope's state (the hot path: these helpers cost as much as the backend's own work). The user may be
    a copy a shared store kept (``Store.get_account``): a request refused before the backend is refused
    on a fresh read of it, so a token gone elsewhere is 401 on every worker."""
    backend = scope_backend(scope)
    headers, state = first_headers(scope), scope.setdefault("state", {})
    authorization = headers.get(b"authorization")
    token = None if authorization is None else bearer_token(authorization.decode("latin-1"))
    user = backend.authenticate(token, account_only=True)
    state["user"] = user.token
    try:
        scenario, prefer = headers.get(b"x-mock-scenario"), headers.get(b"prefer")
        outcome = None if scenario is None and prefer is None else outcome_of(_text(scenario), _text(prefer))
        length = headers.get(b"content-length")
        declared = None if length is None else ascii_int(length.decode("latin-1"))
        raw = await receive_body(receive, declared, backend.settings.request_max_bytes)
        payload = state["payload"] = parse_json(raw)
    except ApiError:
        if user.version is not None:  # a kept copy: refused on the user as stored now (401 when gone)
            backend.authenticate(token)
        raise
    host = headers.get(b"host")
    url = scope_base_url(scope, None if host is None else host.decode("latin-1"))
    if backend.suspends:
        accepted = await suspending(backend.edit_chat, user, payload, url, outcome=outcome)
    else:
        accepted = backend.edit_chat(user, payload, url, outcome=outcome)
    state["warnings"] = accepted.warnings
    return record_response(accepted.body, 202)


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


async def job_status(request: Request) -> Response:
    user = user_of(request)
    return record_response(backend_of(request).status(user, request.path_params["job_id"]))


async def job_results(request: Request) -> Response:
    user = user_of(request)
    return record_response(backend_of(request).results(user, request.path_params["job_id"]))
