"""The control API under ``/_mock/``: reset, accounts, clock, faults, journal, events, deliveries.

For tests and non-Python clients; ``MockControl`` offers the same operations in-process. Off with
``--no-control``; guarded by ``X-Mock-Control-Token`` when ``control_token`` is set (compared in
constant time). The journal it returns masks bearer tokens to a short prefix; ``?user=`` still
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

from mock_server.backend.errors import ApiError
from mock_server.backend.numbers import ascii_int
from mock_server.http.parsing import backend_of, read_json
from mock_server.http.render import json_response


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
    backend_of(request).reset(seed)
    return json_response({"reset": True, "seed": seed})


async def account(request: Request) -> Response:
    _guard(request)
    backend, token = backend_of(request), request.path_params["token"]
    if request.method == "GET":
        user = backend.accounts.get(token)
        if user is None:
            raise ApiError("not_found", f"No user with token {token!r}.")
        return json_response(backend.account_view(user))
    body = _known(await _body(request), {"plan", "credits", "entitlements", "identities"})
    plan = body.get("plan")
    if plan is not None and not isinstance(plan, str):
        raise ApiError("invalid_parameter", "plan: a string.", field="plan")
    user = backend.set_account(
        token,
        plan=plan,
        credits=_number(body, "credits"),
        entitlements=_strings(body, "entitlements"),
        identities=_strings(body, "identities"),
    )
    return json_response(backend.account_view(user))


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
    backend = backend_of(request)
    if request.method == "PUT":
        mode = (await _body(request)).get("mode")
        if mode not in ("real", "manual"):
            raise ApiError("invalid_parameter", "mode: real or manual.", field="mode")
        backend.clock.set_mode(mode)
        backend.scheduler.run_due()
    return json_response(
        {"mode": backend.clock.mode, "now": backend.clock.now(), "pending": backend.scheduler.pending()}
    )


async def advance(request: Request) -> Response:
    _guard(request)
    seconds = _number(await _body(request), "seconds", required=True)
    return json_response(backend_of(request).advance(seconds or 0.0))


async def faults(request: Request) -> Response:
    _guard(request)
    backend = backend_of(request)
    if request.method == "POST":
        body = _known(
            await _body(request), {"kind", "method", "path", "token", "status", "delay", "times", "probability"}
        )
        kind = body.pop("kind", None)
        return json_response(backend.faults.add(str(kind), **body).as_json(), 201)
    if request.method == "DELETE":
        backend.faults.clear()
    return json_response([rule.as_json() for rule in backend.faults.rules])


async def journal(request: Request) -> Response:
    _guard(request)
    backend, q = backend_of(request), request.query_params
    if request.method == "DELETE":
        backend.journal.clear()
        return json_response([])
    since = ascii_int(q.get("since", "0"))
    if since is None:
        raise ApiError("invalid_parameter", "since: a non-negative integer.", field="since")
    entries = backend.journal.query(user=q.get("user"), path=q.get("path"), since=since)
    return json_response([_masked(entry) for entry in entries])


async def notifications(request: Request) -> Response:
    _guard(request)
    user = request.query_params.get("user")
    items = backend_of(request).notifications.all(None if user is None else [user])
    return json_response([{**n.as_json(), "user": n.owner, "deleted": n.deleted} for n in items])


async def deliveries(request: Request) -> Response:
    _guard(request)
    return json_response(backend_of(request).webhooks.log(request.query_params.get("user")))


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
