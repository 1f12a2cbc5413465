"""The bridge's ASGI scope: the same from httpx's request and from the httpcore request httpx makes of it."""

from __future__ import annotations

import httpcore
import httpx
import pytest

from mock_server.testing._exchange import core_scope_of, read_timeout, scope_of


def _as_httpcore(request: httpx.Request) -> httpcore.Request:
    """What ``httpx.HTTPTransport.handle_request`` hands httpcore."""
    url = request.url
    return httpcore.Request(
        method=request.method,
        url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
        headers=request.headers.raw,
        content=request.stream,
        extensions=request.extensions,
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://v2.api.piktid.com/edit-chat",
        "https://v2.api.piktid.com/identity?page=2&search=a%20b",
        "http://mock.test:8080/storage/files/outputs/x%2Fy.png?sig=abc",
        "https://v2.api.piktid.com",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
def test_both_requests_make_the_same_scope(url: str, method: str) -> None:
    request = httpx.Request(method, url, headers={"Authorization": "Bearer a", "X-Mixed-Case": "v"}, json={"a": 1})
    parsed = request.url
    server = (parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
    assert core_scope_of(_as_httpcore(request), server) == scope_of(request)


def test_the_read_timeout_is_read_from_either_requests_extensions() -> None:
    request = httpx.Request("GET", "https://v2.api.piktid.com/", extensions={"timeout": {"read": 0.5}})
    assert read_timeout(request.extensions) == read_timeout(_as_httpcore(request).extensions) == 0.5
    assert read_timeout({}) is None
