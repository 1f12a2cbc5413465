"""``create_app``: the route table, middleware and error handlers around one ``Backend``."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route

from mock_server.backend import ApiError, Backend
from mock_server.http import apidocs, endpoints, identities, notifications, projects, storage, webhooks
from mock_server.http.control import control_routes
from mock_server.http.dashboard import dashboard_routes, redirect
from mock_server.http.dispatch import Endpoint, ScopeEndpoint
from mock_server.http.middleware import Edge
from mock_server.http.render import api_error, http_error, server_error
from mock_server.runtime import runtime_for
from mock_server.settings import Settings

ROUTES: list[BaseRoute] = [
    Route("/upload", Endpoint(endpoints.upload), methods=["POST"]),
    Route("/edit-chat", ScopeEndpoint(endpoints.edit_chat), methods=["POST"]),
    Route("/jobs/{job_id}/status", Endpoint(endpoints.job_status), methods=["GET"]),
    Route("/jobs/{job_id}/results", Endpoint(endpoints.job_results), methods=["GET"]),
    Route("/project", projects.project, methods=["GET", "POST"]),
    Route("/identity", identities.list_identities, methods=["GET"]),
    Route("/identity/upload", identities.upload_identity, methods=["POST"]),
    Route("/identity/{identity_code}", identities.get_identity, methods=["GET"]),
    Route("/notifications/events", notifications.events, methods=["GET"]),
    Route("/notifications", Endpoint(notifications.list_notifications), methods=["POST"]),
    Route("/notifications/{notification_id}", notifications.delete_notification, methods=["DELETE"]),
    Route("/webhooks", webhooks.webhook, methods=["PUT", "GET", "DELETE"]),
    Route("/webhooks/test", webhooks.webhook_test, methods=["POST"]),
    Route("/storage/uploads/{file_id}", storage.put_upload, methods=["PUT"]),
    Route("/storage/files/{kind}/{item_id}/{name}", storage.download, methods=["GET"]),
    Route("/openapi.json", apidocs.openapi_json, methods=["GET"]),
    Route("/docs", apidocs.docs, methods=["GET"]),
]


_WITH_CONTROL: list[BaseRoute] = []


def _with_control() -> list[BaseRoute]:
    """ROUTES and the control API with the dashboard under ``/_mock``: built once (routes hold no state,
    and compiling their paths cost each new app more than a test's calls)."""
    if not _WITH_CONTROL:
        control = [Route("/_mock", redirect), Mount("/_mock", routes=[*control_routes(), *dashboard_routes()])]
        _WITH_CONTROL.extend([*ROUTES, *control])
    return list(_WITH_CONTROL)


EXPOSED_HEADERS = ("Retry-After", "Allow")


def _cors(settings: Settings) -> dict[str, Any] | None:
    """``CORSMiddleware``'s options: preflights answered and CORS headers on every answer, for the
    configured origins (none: no CORS)."""
    if not settings.cors_origins:
        return None
    return {
        "allow_origins": list(settings.cors_origins),
        "allow_methods": ["*"],
        "allow_headers": ["*"],
        "expose_headers": list(EXPOSED_HEADERS),
        "max_age": 600,
    }


SETTINGS_VARIABLE = "PIKTID_MOCK_SERVE_SETTINGS"
"""How ``serve --workers N`` hands its settings to each worker process (JSON)."""


def settings_to_json(settings: Settings) -> str:
    return json.dumps(dataclasses.asdict(settings))


def app_from_environment() -> Starlette:
    """The app of one ``serve --workers N`` worker: the settings the parent put in ``SETTINGS_VARIABLE``."""
    fields = json.loads(os.environ[SETTINGS_VARIABLE])
    for field in dataclasses.fields(Settings):
        if isinstance(fields.get(field.name), list) and field.name != "extra_users":
            fields[field.name] = tuple(fields[field.name])
    return create_app(Settings(**fields))


def create_app(settings: Settings | None = None, *, backend: Backend | None = None) -> Starlette:
    """A fresh app with its own state (nothing is created at import time).

    ``app.state.backend`` is the ``Backend`` (the state's one door), ``app.state.runtime`` its live
    edge (streams, webhook attempts, the timer); pass ``backend`` to share one between apps. A path
    with a trailing slash is 404 like any unknown path (no redirect that would hide a client's typo).
    """
    backend = backend or Backend(settings)
    settings = backend.settings
    runtime = runtime_for(backend)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime.start(asyncio.get_running_loop())
        await runtime.follow()
        yield
        await runtime.unfollow()
        runtime.stop()

    routes = _with_control() if settings.control else list(ROUTES)
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(Edge, backend=backend, cors=_cors(settings), routes=routes)],
        exception_handlers={ApiError: api_error, HTTPException: http_error, Exception: server_error},
    )
    app.router.redirect_slashes = False
    app.state.backend = backend
    app.state.runtime = runtime
    app.state.renders = storage.RenderCache(settings.render_cache_size, settings.render_concurrency)
    return app
