"""API endpoints: each parses, calls one ``Backend`` operation, renders. No rules live here."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mock_server.backend import ApiError, User
from mock_server.http.parsing import backend_of, base_url, bearer, header, note, read_json
from mock_server.http.render import json_response, record_response

OUTCOME_HEADER = "x-mock-scenario"


def user_of(request: Request, *, allow_query: bool = False, account_only: bool = False) -> User:
    """The request's user (401 unknown); ``account_only``: the endpoint does not show its credits."""
    user = backend_of(request).authenticate(bearer(request, allow_query=allow_query), account_only=account_only)
    note(request, "user", user.token)
    return user


def requested_outcome(request: Request) -> str | None:
    """``X-Mock-Scenario: failed`` or ``Prefer: outcome=failed`` picks this request's variation outcome."""
    value = header(request, b"x-mock-scenario")
    if value is None:
        prefer = header(request, b"prefer")
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


async def edit_chat(request: Request) -> Response:
    user = user_of(request, account_only=True)  # its credits are decided by the store's reservation
    outcome = requested_outcome(request)
    payload = await read_json(request)
    note(request, "payload", payload)
    accepted = backend_of(request).edit_chat(user, payload, base_url(request), outcome=outcome)
    note(request, "warnings", accepted.warnings)
    return record_response(accepted.body, 202)


async def job_status(request: Request) -> Response:
    user = user_of(request)
    return record_response(backend_of(request).status(user, request.path_params["job_id"]))


async def job_results(request: Request) -> Response:
    user = user_of(request)
    return record_response(backend_of(request).results(user, request.path_params["job_id"]))
