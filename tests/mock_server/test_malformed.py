"""Malformed input never yields a 5xx: arbitrary bytes, arbitrary JSON, wrong types, junk paths and methods.

Each example gets a fresh in-process app (so the rate limit never hides deeper code paths) and
must answer below 500 with the one error body (``error`` and ``code``) whenever it refuses.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from mock_support import ASGI_BASE, TOKEN, Env, asgi_client

from mock_server import Backend, Settings, create_app
from piktid_spec import EDIT_CHAT

pytestmark = pytest.mark.anyio

BODY_ENDPOINTS = [("POST", "/edit-chat"), ("POST", "/upload"), ("POST", "/notifications"), ("PUT", "/webhooks")]
FIELDS = {
    "/edit-chat": EDIT_CHAT.names,
    "/upload": ("filename", "project_name"),
    "/notifications": ("id_task", "name_list"),
    "/webhooks": ("url",),
}
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO")
SEGMENTS = (
    "",
    "upload",
    "edit-chat",
    "jobs",
    "status",
    "results",
    "identity",
    "storage",
    "files",
    "uploads",
    "outputs",
    "notifications",
    "webhooks",
    "test",
    "1",
    "..",
    "%00",
    "²",
)
STREAMS = {"/notifications/events"}
"""Paths that answer an endless SSE stream to an authenticated GET: not a malformed request."""

segment_text = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x2FF, exclude_categories=("Cc",), exclude_characters="/?#"),
    max_size=6,
)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def reaches_network(body: object) -> bool:
    """Whether PUT /webhooks would deliver a ping to this body's URL (only loopback is allowed here)."""
    url = body.get("url") if isinstance(body, dict) else None
    return isinstance(url, str) and bool(urlsplit(url).netloc)


def assert_no_5xx(response: httpx.Response) -> None:
    """Below 500, no redirect, and a refusal carries the one error body."""
    assert response.status_code < 500, response.text
    assert not 300 <= response.status_code < 400, response.headers
    if response.status_code >= 400 and response.request.method != "HEAD":
        body = response.json()
        assert isinstance(body.get("error"), str) and isinstance(body.get("code"), str), body


async def send(method: str, path: str | httpx.URL, **kwargs: Any) -> httpx.Response:
    """One request to a fresh mock, authenticated as an open-mode user."""
    async with asgi_client(Backend(Settings(clock="manual", seed=1), fresh=True)) as client:
        headers = {"Authorization": f"Bearer {TOKEN}"} | kwargs.pop("headers", {})
        return await client.request(method, path, headers=headers, **kwargs)


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
@given(data=st.binary(max_size=200))
async def test_arbitrary_bytes_never_yield_a_5xx(method: str, path: str, data: bytes) -> None:
    with contextlib.suppress(ValueError):
        assume(not reaches_network(json.loads(data)))
    assert_no_5xx(await send(method, path, content=data, headers={"Content-Type": "application/json"}))


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
@given(body=json_values)
async def test_arbitrary_json_never_yields_a_5xx(method: str, path: str, body: object) -> None:
    assume(not reaches_network(body))
    assert_no_5xx(await send(method, path, content=json.dumps(body).encode()))


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
@given(data=st.data())
async def test_known_fields_with_wrong_types_never_yield_a_5xx(method: str, path: str, data: st.DataObject) -> None:
    body = data.draw(st.dictionaries(st.sampled_from(FIELDS[path]), json_values, max_size=5))
    assume(not reaches_network(body))
    assert_no_5xx(await send(method, path, content=json.dumps(body).encode()))


@given(
    method=st.sampled_from(METHODS),
    segments=st.lists(st.sampled_from(SEGMENTS) | segment_text, min_size=1, max_size=5),
    body=st.binary(max_size=40),
)
async def test_junk_paths_and_methods_never_yield_a_5xx(method: str, segments: list[str], body: bytes) -> None:
    url = httpx.URL(ASGI_BASE).copy_with(path="/" + "/".join(segments))
    assume(url.path not in STREAMS)
    assert_no_5xx(await send(method, url, content=body))


async def test_a_trailing_slash_is_404_not_a_redirect(env: Env) -> None:
    response = await env.client.post("/edit-chat/", headers=env.auth(), json={"prompt": "x"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"", 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_body"),
        (b"[" * 100_000, 400, "invalid_json"),
        (b"9" * 5000, 400, "invalid_json"),
        (json.dumps({"prompt": "x" * (1024 * 1024)}).encode(), 413, "body_too_large"),
    ],
)
async def test_edit_chat_bodies_that_cannot_be_read(env: Env, content: bytes, status: int, code: str) -> None:
    response = await env.client.post(
        "/edit-chat", headers=env.auth() | {"Content-Type": "application/json"}, content=content
    )
    assert (response.status_code, response.json()["code"]) == (status, code)
    env.check(response.json(), "Error")


async def test_wrong_methods_are_405_with_the_error_body(env: Env) -> None:
    response = await env.client.get("/edit-chat", headers=env.auth())
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


async def asgi_status(method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> int:
    """Call the app with a raw ASGI scope (headers no HTTP client would send); the status, 500 if it raised."""
    app = create_app(Settings(clock="manual", seed=1))
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "headers": [(b"authorization", f"Bearer {TOKEN}".encode()), *headers],
    }
    try:
        await app(scope, receive, send)
    except Exception:
        return 500
    return statuses[0]


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/edit-chat"), ("POST", "/upload"), ("PUT", "/storage/uploads/file_x")]
)
@pytest.mark.parametrize("length", [b"\xb2", b"-1", b"1e3", b"9" * 5000])
async def test_a_content_length_that_is_not_a_number_is_not_a_5xx(method: str, path: str, length: bytes) -> None:
    assert await asgi_status(method, path, [(b"content-length", length)], b"{}") < 500


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [("DELETE", "/notifications/²", []), ("GET", "/notifications/events", [(b"last-event-id", b"\xb2")])],
)
async def test_non_ascii_digits_in_notification_ids_are_not_a_5xx(
    method: str, path: str, headers: list[tuple[bytes, bytes]]
) -> None:
    assert await asgi_status(method, path, headers) < 500
