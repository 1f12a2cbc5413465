"""The control API under ``/_mock/``: reset, accounts, clock, faults, journal, events, deliveries.

For tests and non-Python clients (``RemoteControl`` is its Python client). Each handler checks the
JSON it was sent and calls one ``ControlService`` operation, the same ``MockControl`` calls in-process.
Off with ``--no-control``; guarded by ``X-Mock-Control-Token`` when ``control_token`` is set (compared
in constant time). The journal it returns masks bearer tokens to a short prefix; ``?user=`` still
takes the full token, and ``MockControl.journal()`` (in-process) shows them whole.
"""

from __future__ import annotations

import hmac
import re
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_server.backend import ApiError, ControlService, ascii_int
from mock_server.http.parsing import backend_of, read_json
from mock_server.http.render import json_response


def control_of(request: Request) -> ControlService:
    return ControlService(backend_of(request))


def _guard(request: Request) -> None:
    """401 unless ``X-Mock-Control-Token`` is the configured token (compared in constant time)."""
    expected = backend_of(request).settings.control_token
    if expected is None:
        return
    given = request.headers.get("x-mock-control-token", "").encode("latin-1")
    if not hmac.compare_digest(given, expected.encode("utf-8")):
        raise ApiError("unauthorized", "The control API needs X-Mock-Control-Token.")


def mask_token(token: str) -> str:
    """A short prefix and ``…``: enough to tell users apart, not enough to act as one (at most 6 characters)."""
    return token[: min(6, len(token) // 3)] + "…"


_QUERY_TOKEN = re.compile(r"(^|&)(token=)([^&]*)")


def _masked(entry: dict[str, Any]) -> dict[str, Any]:
    """A journal entry as the control API shows it: bearer tokens (``user``, ``?token=``) masked."""
    user, query = entry["user"], entry["query"]
    return {
        **entry,
        "user": None if user is None else mask_token(user),
        "query": _QUERY_TOKEN.sub(lambda m: m[1] + m[2] + mask_token(unquote(m[3])), query),
    }


async def _body(request: Request) -> dict[str, Any]:
    body = await read_json(request, optional=True)
    if not isinstance(body, dict):
        raise ApiError("invalid_body")
    return body


MAX_NUMBER = 10 * 365 * 24 * 3600
"""Ten years (in seconds, or credits): past it a clock leaves the calendar and nothing is testable."""


def _number(body: dict[str, Any], name: str, *, required: bool = False) -> float | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_NUMBER:
        raise ApiError("invalid_parameter", f"{name}: a number from 0 to {MAX_NUMBER}.", field=name)
    return float(value)


async def reset(request: Request) -> Response:
    _guard(request)
    body = await _body(request)
    seed = body.get("seed", backend_of(request).settings.seed)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ApiError("invalid_parameter", "seed: an integer or null.", field="seed")
    return json_response(control_of(request).reset(seed, exact=True))


async def account(request: Request) -> Response:
    _guard(request)
    control, token = control_of(request), request.path_params["token"]
    if request.method == "GET":
        view = control.account(token)
        if view is None:
            raise ApiError("not_found", f"No user with token {token!r}.")
        return json_response(view)
    body = _known(await _body(request), {"plan", "credits", "entitlements", "identities"})
    plan = body.get("plan")
    if plan is not None and not isinstance(plan, str):
        raise ApiError("invalid_parameter", "plan: a string.", field="plan")
    view = control.set_account(
        token,
        plan=plan,
        credits=_number(body, "credits"),
        entitlements=_strings(body, "entitlements"),
        identities=_strings(body, "identities"),
    )
    return json_response(view)


def _known(body: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    """A typo (``"credit"``) is a 400 naming it, not a silent no-op."""
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(
            "invalid_parameter",
            f"unknown fields: {', '.join(unknown)}; use {', '.join(sorted(allowed))}.",
            field=unknown[0],
        )
    return body


def _strings(body: dict[str, Any], name: str) -> list[str] | None:
    value = body.get(name)
    if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ApiError("invalid_parameter", f"{name}: a list of strings.", field=name)
    return value


async def clock(request: Request) -> Response:
    _guard(request)
    control = control_of(request)
    if request.method == "PUT":
        mode = (await _body(request)).get("mode")
        if mode not in ("real", "manual"):
            raise ApiError("invalid_parameter", "mode: real or manual.", field="mode")
        return json_response(control.set_clock(mode))
    return json_response(control.clock())


async def advance(request: Request) -> Response:
    _guard(request)
    seconds = _number(await _body(request), "seconds", required=True)
    return json_response(control_of(request).advance(seconds or 0.0))


async def faults(request: Request) -> Response:
    _guard(request)
    control = control_of(request)
    if request.method == "POST":
        body = _known(
            await _body(request), {"kind", "method", "path", "token", "status", "delay", "times", "probability"}
        )
        kind = body.pop("kind", None)
        return json_response(control.add_fault(str(kind), **body), 201)
    if request.method == "DELETE":
        control.clear_faults()
    return json_response(control.faults())


async def journal(request: Request) -> Response:
    _guard(request)
    control, q = control_of(request), request.query_params
    if request.method == "DELETE":
        control.clear_journal()
        return json_response([])
    since = ascii_int(q.get("since", "0"))
    if since is None:
        raise ApiError("invalid_parameter", "since: a non-negative integer.", field="since")
    entries = control.journal(user=q.get("user"), path=q.get("path"), since=since)
    return json_response([_masked(entry) for entry in entries])


async def notifications(request: Request) -> Response:
    _guard(request)
    return json_response(control_of(request).notifications(request.query_params.get("user")))


async def deliveries(request: Request) -> Response:
    _guard(request)
    return json_response(control_of(request).deliveries(request.query_params.get("user")))


def control_routes() -> list[Route]:
    return [
        Route("/reset", reset, methods=["POST"]),
        Route("/accounts/{token}", account, methods=["GET", "PUT"]),
        Route("/clock", clock, methods=["GET", "PUT"]),
        Route("/clock/advance", advance, methods=["POST"]),
        Route("/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/journal", journal, methods=["GET", "DELETE"]),
        Route("/notifications", notifications, methods=["GET"]),
        Route("/deliveries", deliveries, methods=["GET"]),
    ]
