"""The dashboard's endpoints under ``/_mock/``: the page, its live fragments, assets, token form, actions.

Reads go through ``state``; each action parses one form, calls one ``state`` write and redirects
back (303), or shows the page again with the error (4xx, never a 500).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from mock_server.backend.errors import ApiError
from mock_server.backend.numbers import ascii_int
from mock_server.http.dashboard import auth, forms, page, state
from mock_server.http.dashboard.markup import clean
from mock_server.http.parsing import backend_of

ASSETS = {"dashboard.css": "text/css; charset=utf-8", "dashboard.js": "text/javascript; charset=utf-8"}
Action = Callable[[Request, forms.Form], str]


def _html(text: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    body = clean(text).encode("utf-8")
    base = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Content-Security-Policy": _CSP}
    return HTMLResponse(body, status, headers={**base, **(headers or {})})


_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
"""Only this mock's own scripts, styles and images: an injected tag could not load or run anything else."""


def _filters(request: Request) -> tuple[dict[str, str | None], int | None, str]:
    q = request.query_params
    raw = {name: clean(q[name]) if q.get(name) else None for name in ("user", "path", "status")}
    status = ascii_int(raw["status"]) if raw["status"] else None
    problem = "status: a number such as 402." if raw["status"] and status is None else ""
    return raw, status, problem


def _data(request: Request) -> dict[str, Any]:
    backend = backend_of(request)
    raw, status, _ = _filters(request)
    return {
        "requests": state.requests(backend, user=raw["user"], path=raw["path"], status=status),
        "jobs": state.jobs(backend),
        "notifications": state.notifications(backend),
        "deliveries": state.deliveries(backend),
        "accounts": state.accounts(backend),
        "clock": state.clock(backend),
        "faults": state.faults(backend),
    }


def _refused() -> HTMLResponse:
    return _html(page.login(), 401)


async def redirect(request: Request) -> Response:
    """``/_mock`` -> ``/_mock/``: permanent, method-preserving, so a bookmark without the slash works."""
    return RedirectResponse("/_mock/", 308)


async def index(request: Request) -> Response:
    if not auth.allowed(request):
        return _refused()
    raw, _, problem = _filters(request)
    notice = clean(request.query_params.get("notice", ""))[:200]
    return _html(page.dashboard(_data(request), raw, notice, problem), 400 if problem else 200)


async def live(request: Request) -> Response:
    """The live fragments as JSON strings (parsed by the page's script, never spliced into HTML source)."""
    if not auth.allowed(request):
        return JSONResponse({"error": "unauthorized"}, 401)
    return JSONResponse(page.live(_data(request)), headers={"Cache-Control": "no-store"})


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if not auth.allowed(request):
        return Response("control token required", 401)
    if name not in ASSETS:
        return Response("not found", 404)
    body = resources.files("mock_server.http.dashboard").joinpath("static", name).read_bytes()
    return Response(body, headers={"Content-Type": ASSETS[name], "Cache-Control": "no-cache"})


async def login(request: Request) -> Response:
    form = await forms.read_form(request)
    given = form.get("token", "")
    if not auth.same_origin(request) or not given or not auth.token_ok(request, given):
        return _html(page.login("That is not the control token."), 401)
    return auth.remember(RedirectResponse("/_mock/", 303), given)


def _back(notice: str, section: str) -> Response:
    return RedirectResponse(f"/_mock/?{urlencode({'notice': notice})}#{section}", 303)


def action(run: Action, section: str) -> Callable[[Request], Awaitable[Response]]:
    """A form endpoint: gate, same-origin check, parse, one ``state`` write, redirect back."""

    async def endpoint(request: Request) -> Response:
        if not auth.allowed(request):
            return _refused()
        if not auth.same_origin(request):
            return _html("<p>Cross-site form posts are refused.</p>", 403)
        try:
            notice = run(request, await forms.read_form(request))
        except ApiError as exc:
            raw, _, _ = _filters(request)
            return _html(page.dashboard(_data(request), raw, error=exc.message), exc.status)
        return _back(notice, section)

    return endpoint


def do_reset(request: Request, form: forms.Form) -> str:
    if form.get("confirm") != "yes":
        raise ApiError("invalid_parameter", "confirm: tick the box to reset (it forgets all state).", field="confirm")
    backend = backend_of(request)
    seed = forms.integer(form, "seed")
    state.reset(backend, seed if seed is not None else state.default_seed(backend))
    return "All state was reset."


def do_account(request: Request, form: forms.Form) -> str:
    token = forms.text(form, "token")
    if token is None:
        raise ApiError("invalid_parameter", "token: the user's API token.", field="token")
    view = state.set_account(
        backend_of(request), token, plan=forms.text(form, "plan"), credits=forms.number(form, "credits")
    )
    return f"{view['token']}: plan {view['plan']}, {view['credits']:g} credits."


def do_clock(request: Request, form: forms.Form) -> str:
    mode = form.get("mode")
    if mode == "real":
        state.set_clock_mode(backend_of(request), "real")
    elif mode == "manual":
        state.set_clock_mode(backend_of(request), "manual")
    else:
        raise ApiError("invalid_parameter", "mode: real or manual.", field="mode")
    return f"The clock is {mode}."


def do_advance(request: Request, form: forms.Form) -> str:
    seconds = forms.number(form, "seconds")
    if seconds is None:
        raise ApiError("invalid_parameter", "seconds: how far to move the clock.", field="seconds")
    ran = state.advance(backend_of(request), seconds)["ran"]
    return f"Advanced {seconds:g} s; {ran} callbacks ran."


def do_add_fault(request: Request, form: forms.Form) -> str:
    rule = state.add_fault(backend_of(request), form.get("kind", ""), **forms.fault(form))
    return f"Fault rule {rule['id']} ({rule['kind']}) added."


def do_remove_fault(request: Request, form: forms.Form) -> str:
    rule_id = forms.integer(form, "id")
    if rule_id is None or not state.remove_fault(backend_of(request), rule_id):
        raise ApiError("not_found", f"No fault rule {form.get('id')!r} (used up or removed).")
    return f"Fault rule {rule_id} removed."


def dashboard_routes() -> list[Route]:
    """Mounted under ``/_mock`` beside the control API (so ``--no-control`` removes both)."""
    return [
        Route("/", index, methods=["GET"]),
        Route("/ui/live", live, methods=["GET"]),
        Route("/ui/static/{name}", asset, methods=["GET"]),
        Route("/ui/login", login, methods=["POST"]),
        Route("/ui/reset", action(do_reset, "controls"), methods=["POST"]),
        Route("/ui/account", action(do_account, "accounts"), methods=["POST"]),
        Route("/ui/clock", action(do_clock, "controls"), methods=["POST"]),
        Route("/ui/advance", action(do_advance, "controls"), methods=["POST"]),
        Route("/ui/faults", action(do_add_fault, "controls"), methods=["POST"]),
        Route("/ui/faults/remove", action(do_remove_fault, "controls"), methods=["POST"]),
    ]
