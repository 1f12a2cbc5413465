"""The dashboard's gate: the control token (a cookie set by the token form, or the control API's
header) and a same-origin check on every form post, so another site cannot drive the mock."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import Response

from mock_server.http.dashboard import state
from mock_server.http.parsing import backend_of, base_url

COOKIE = "piktid_mock_control"
HEADER = "x-mock-control-token"


def _same(given: str, expected: str) -> bool:
    """Constant-time, and total: any text (even one no codec likes) compares without raising."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def token_ok(request: Request, given: str | None) -> bool:
    expected = state.control_token(backend_of(request))
    return expected is None or (given is not None and _same(given, expected))


def allowed(request: Request) -> bool:
    """True when no token is set, or the request carries it (header or the form's cookie)."""
    given = request.headers.get(HEADER) or request.cookies.get(COOKIE)
    return token_ok(request, given)


def same_origin(request: Request) -> bool:
    """A form post from this page: the browser's ``Origin`` (when sent) is this mock's own."""
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    return origin is None or origin == base_url(request).removesuffix(request.scope.get("root_path", ""))


def remember(response: Response, token: str) -> Response:
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/_mock")
    return response
