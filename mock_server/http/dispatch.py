"""API endpoints as plain ASGI apps (``Endpoint``), and the table ``Edge`` finds them in (``Dispatch``).

Why: Starlette's router walks the route table with a regular expression per route, and a function
route wraps each request in two exception-handling layers and a ``send`` closure per layer; on the
hot path (``POST /edit-chat``, ``GET /jobs/{id}/results``) that cost as much as the endpoint's own
parsing and rendering. An ``Endpoint`` is one ASGI call around ``handler(request) -> Response``
that renders an ``ApiError`` itself, the same answer as the app's exception handler; ``Edge`` finds
it by one dict lookup (``Dispatch``) built from the one route table, ``app.ROUTES``, which still
lists every route with its path and methods (the router, OpenAPI and the docs read it). What the
table does not find (another method, an unknown path, the control API) goes to the router as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.convertors import StringConvertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from mock_server.backend import ApiError
from mock_server.http.render import error_response, http_error

Handler = Callable[[Request], Awaitable[Response]]


class Endpoint:
    """``handler`` as a plain ASGI app: a ``Request``, the handler's ``Response``, or the v2 error body of the
    ``ApiError`` (noted for the journal) or ``HTTPException`` it raised, as the app's exception handlers
    answer them. Anything else propagates to the app's server-error handler, as from any route."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self.handler(request)
        except ApiError as error:
            scope.setdefault("state", {})["error"] = error
            response = error_response(error)
        except HTTPException as error:
            response = await http_error(request, error)
        await response(scope, receive, send)


ScopeHandler = Callable[[Scope, Receive], Awaitable[Response]]


class ScopeEndpoint(Endpoint):
    """An ``Endpoint`` whose handler reads the scope and ``receive`` itself: no ``Request`` is built (it cost
    as much as a request's header parsing; ``POST /edit-chat``), but for the error body of an
    ``HTTPException``. The same answers as an ``Endpoint``."""

    def __init__(self, handler: ScopeHandler) -> None:
        self.scoped = handler

    async def handler(self, request: Request) -> Response:
        """The ``Endpoint`` contract (``handler(request) -> Response``) for callers that hold a ``Request``."""
        return await self.scoped(request.scope, request.receive)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self.scoped(scope, receive)
        except ApiError as error:
            scope.setdefault("state", {})["error"] = error
            response = error_response(error)
        except HTTPException as error:
            response = await http_error(Request(scope, receive), error)
        if type(response).__call__ is not Response.__call__ or response.background or scope["type"] != "http":
            return await response(scope, receive, send)
        # ``Response.__call__`` written out for an HTTP request (one coroutine fewer): start, then the body
        await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


class Dispatch:
    """The route table by (first path segment, segment count), for ``Edge`` to find an ``Endpoint`` by one
    dict lookup instead of the router's walk of every route.

    A request's candidates are the routes that could match a path of its first segment and segment count,
    in the table's order; the first whose pattern and methods match (what ``Route.matches`` calls full, and
    the same child scope) is the router's choice too. The table is read up to the first route no such key
    describes (a mount, a parameter in the first segment, a parameter other than a plain string), since it
    may take any later path. When the route found is not an ``Endpoint``, when none matches fully (the
    router answers 404 or 405), or under a root path, ``find`` answers None and the router takes the
    request as before."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        found: dict[tuple[str, int], list[tuple[str, Route]]] = {}
        for route in routes:
            key = _key(route)
            if key is None:
                break
            assert isinstance(route, Route)
            last = route.path[route.path.rfind("/") :]
            found.setdefault(key, []).append(("" if "{" in last else last, route))
        self.routes = {key: tuple(candidates) for key, candidates in found.items()}
        """Per key, (the path's literal last segment with its slash, or "" for a parameter; the route)."""

    def find(self, scope: Scope) -> Endpoint | None:
        """The endpoint for this request (its ``path_params`` and ``route`` put in the scope), or None."""
        path: str = scope["path"]
        end = path.find("/", 1)
        candidates = self.routes.get((path[1:end] if end > 0 else path[1:], path.count("/")))
        if candidates is None or scope.get("root_path"):
            return None
        for last, route in candidates:
            if not path.endswith(last):  # cannot match: spares the route's regular expression
                continue
            match = route.path_regex.match(path)
            if match is None or (route.methods and scope["method"] not in route.methods):
                continue  # the router too looks further for a full match (a partial one is its 405)
            if not isinstance(route.endpoint, Endpoint):
                return None
            params = dict(scope.get("path_params", ()))  # ``Route.matches``'s child scope (str parameters)
            params.update(match.groupdict())
            scope["route"], scope["endpoint"], scope["path_params"] = route, route.endpoint, params
            return route.endpoint
        return None


def _key(route: BaseRoute) -> tuple[str, int] | None:
    """(first segment, segment count) of every path ``route`` matches, or None if that is not one key (a
    parameter other than a plain string may span segments or be converted)."""
    if not isinstance(route, Route) or not route.path.startswith("/"):
        return None
    if ":" in route.path or any(type(c) is not StringConvertor for c in route.param_convertors.values()):
        return None
    end = route.path.find("/", 1)
    first = route.path[1:end] if end > 0 else route.path[1:]
    return None if "{" in first else (first, route.path.count("/"))
