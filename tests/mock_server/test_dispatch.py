"""``Dispatch`` picks the route Starlette's router would, and an ``Endpoint`` answers as a routed function."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Match, Mount, Route

from mock_server import Settings, create_app
from mock_server.http.app import ROUTES, _with_control
from mock_server.http.dispatch import Dispatch, Endpoint

PATHS = [
    "/edit-chat",
    "/edit-chat/",
    "/upload",
    "/jobs/job_1/results",
    "/jobs/job_1/status",
    "/jobs/job_1/other",
    "/jobs//results",
    "/jobs/a/b/results",
    "/jobs/job_1/results/",
    "/notifications",
    "/notifications/7",
    "/notifications/events",
    "/identity",
    "/identity/abc",
    "/_mock/clock",
    "/",
    "",
    "//",
    "/nothing/here",
]
METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD"]


def _scope(method: str, path: str, root_path: str = "") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": root_path, "headers": []}


def _router_choice(routes: list[BaseRoute], scope: dict[str, Any]) -> Endpoint | None:
    """The endpoint the router would call: the first route matching fully, if it is an ``Endpoint``."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route.endpoint if isinstance(route, Route) and isinstance(route.endpoint, Endpoint) else None
    return None


@pytest.mark.parametrize("routes", [ROUTES, _with_control()], ids=["api", "with control"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", PATHS)
def test_dispatch_finds_what_the_router_would_call(routes: list[BaseRoute], method: str, path: str) -> None:
    scope = _scope(method, path)
    found = Dispatch(routes).find(scope)
    assert found is _router_choice(routes, _scope(method, path))
    if found is not None:
        _, child = scope["route"].matches(_scope(method, path))
        assert {key: scope[key] for key in child} == child


def test_a_found_endpoint_gets_the_routers_scope() -> None:
    scope = _scope("GET", "/jobs/job_1/results")
    endpoint = Dispatch(ROUTES).find(scope)
    assert endpoint is not None
    assert scope["path_params"] == {"job_id": "job_1"}
    assert scope["route"].path == "/jobs/{job_id}/results"


def test_a_root_path_is_left_to_the_router() -> None:
    assert Dispatch(ROUTES).find(_scope("POST", "/api/edit-chat", root_path="/api")) is None


async def _never(request: Any) -> Any:
    raise AssertionError("not this one")


async def _answer(request: Any) -> Any:
    raise AssertionError("shadowed")


def test_a_route_that_may_take_any_path_ends_the_table() -> None:
    later = Route("/edit-chat", Endpoint(_answer), methods=["POST"])
    routes: list[BaseRoute] = [Mount("/", routes=[Route("/edit-chat", _never, methods=["POST"])]), later]
    assert Dispatch(routes).find(_scope("POST", "/edit-chat")) is None


def test_an_earlier_route_with_parameters_keeps_its_precedence() -> None:
    routes: list[BaseRoute] = [
        Route("/jobs/{job_id}", _never, methods=["GET"]),
        Route("/jobs/fixed", Endpoint(_answer), methods=["GET"]),
    ]
    assert Dispatch(routes).find(_scope("GET", "/jobs/fixed")) is None


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_errors_from_an_endpoint_are_the_routed_answers() -> None:
    """A dispatched endpoint and the same request through the router (under a root path) answer alike."""
    app = create_app(Settings(clock="manual"))
    transport = httpx.ASGITransport(app)
    requests = [
        ("POST", "/edit-chat", {}, b"{"),
        ("POST", "/edit-chat", {"Authorization": "Bearer t"}, b"{not json"),
        ("POST", "/edit-chat", {"Authorization": "Bearer t"}, b'{"prompt": 1}'),
        ("GET", "/jobs/none/results", {"Authorization": "Bearer t"}, b""),
        ("PUT", "/jobs/none/results", {"Authorization": "Bearer t"}, b""),
    ]
    for method, path, headers, body in requests:
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as direct:
            fast = await direct.request(method, path, headers=headers, content=body)
        routed_transport = httpx.ASGITransport(app, root_path="/api")
        async with httpx.AsyncClient(transport=routed_transport, base_url="http://mock") as routed:
            slow = await routed.request(method, "/api" + path, headers=headers, content=body)
        assert (fast.status_code, fast.headers.items(), fast.content) == (
            slow.status_code,
            slow.headers.items(),
            slow.content,
        )


@pytest.mark.anyio
async def test_a_scope_endpoint_keeps_the_endpoint_contract_for_a_request() -> None:
    """``handler(request)`` of the ``/edit-chat`` endpoint answers as the endpoint itself does."""
    from starlette.requests import Request

    from mock_server.http.dispatch import ScopeEndpoint

    endpoint = next(r.endpoint for r in ROUTES if isinstance(r, Route) and isinstance(r.endpoint, ScopeEndpoint))
    app = create_app(Settings(clock="manual"))
    headers = [(b"authorization", b"Bearer t"), (b"host", b"mock")]
    scope = {**_scope("POST", "/edit-chat"), "headers": headers, "app": app, "piktid_mock.backend": app.state.backend}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b'{"prompt": "a cat"}', "more_body": False}

    response = await endpoint.handler(Request(scope, receive))
    assert response.status_code == 202 and b'"status":"processing"' in response.body
