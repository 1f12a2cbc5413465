"""httpcore patched by plain assignment: one shared set with respx, nothing left after, the direct path."""

from __future__ import annotations

from typing import Any

import httpcore
import httpx
import pytest
import respx
from respx.mocks import HTTPCoreMocker

from mock_server.testing import mock_piktid
from mock_server.testing._bridge import _Router
from mock_server.testing._patches import _Patch, start_httpcore_patches

API = "https://v2.api.piktid.com"
AUTH = {"Authorization": "Bearer patches-user"}
JOB = {"prompt": "a red bicycle", "size": "1K"}
OTHER = "https://other.example/ping"
PATCHED = [
    (httpcore.ConnectionPool, "handle_request"),
    (httpcore.HTTPConnection, "handle_request"),
    (httpcore.HTTPProxy, "handle_request"),
    (httpcore.AsyncConnectionPool, "handle_async_request"),
    (httpcore.AsyncHTTPConnection, "handle_async_request"),
    (httpcore.AsyncHTTPProxy, "handle_async_request"),
]
ORIGINALS = [(getattr(owner, name), name in vars(owner)) for owner, name in PATCHED]
"""Each method as httpcore defines it, and whether its class defines it itself (``HTTPProxy`` inherits)."""


def _current() -> list[Any]:
    return [(getattr(owner, name), name in vars(owner)) for owner, name in PATCHED]


def _both_answer() -> None:
    assert httpx.get(OTHER).json() == {"pong": True}
    assert httpx.post(f"{API}/edit-chat", headers=AUTH, json=JOB).status_code == 202


def _route_other(router: respx.MockRouter) -> None:
    router.get(OTHER).respond(200, json={"pong": True})


def test_inside_httpcore_is_patched_and_after_it_is_not() -> None:
    with mock_piktid():
        assert all(now[0] is not original[0] for now, original in zip(_current(), ORIGINALS, strict=True))
        assert len(HTTPCoreMocker._patches) == len(PATCHED)
    assert _current() == ORIGINALS
    assert HTTPCoreMocker._patches == [] and HTTPCoreMocker.routers == []


def test_a_users_respx_mock_inside_shares_the_patches() -> None:
    with mock_piktid():
        patched = _current()
        with respx.mock(assert_all_called=False) as other:
            _route_other(other)
            assert _current() == patched
            _both_answer()
        assert _current() == patched  # the user's exit leaves the mock's patches
        assert httpx.post(f"{API}/edit-chat", headers=AUTH, json=JOB).status_code == 202
    assert _current() == ORIGINALS


def test_a_mock_inside_a_users_respx_mock_uses_respxs_patches() -> None:
    with respx.mock(assert_all_called=False) as other:
        _route_other(other)
        patched = _current()
        with mock_piktid():
            assert _current() == patched
            _both_answer()
        assert _current() == patched
        assert httpx.get(OTHER).json() == {"pong": True}
    assert _current() == ORIGINALS


def test_exits_out_of_order_leave_httpcore_as_it_was() -> None:
    mock = mock_piktid()
    mock.__enter__()
    other = respx.mock(assert_all_called=False)
    _route_other(other.__enter__())
    mock.__exit__(None, None, None)
    assert httpx.get(OTHER).json() == {"pong": True}
    other.__exit__(None, None, None)
    assert _current() == ORIGINALS


def test_a_second_start_while_patched_adds_nothing() -> None:
    with mock_piktid():
        start_httpcore_patches()
        assert len(HTTPCoreMocker._patches) == len(PATCHED)
    assert _current() == ORIGINALS


class _Base:
    def handle_request(self) -> str:
        return "base"


class _Child(_Base):
    pass


@pytest.mark.parametrize("owner", [_Base, _Child])
def test_a_patch_puts_back_what_was_there(owner: type[_Base]) -> None:
    local = "handle_request" in vars(owner)
    patch = _Patch(owner, "handle_request", owner.handle_request, lambda self: "patched")
    patch.start()
    assert owner().handle_request() == "patched"
    patch.stop()
    assert owner().handle_request() == "base"
    assert ("handle_request" in vars(owner)) is local


def test_the_mock_answers_httpcores_request_itself_only_when_respx_would_ask_it_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    through_respx: list[str] = []
    handler = _Router.handler

    def counted(self: _Router, request: httpx.Request) -> httpx.Response:
        through_respx.append(request.url.path)
        return handler(self, request)

    monkeypatch.setattr(_Router, "handler", counted)
    with mock_piktid(seed=1):
        direct = httpx.post(f"{API}/edit-chat", headers=AUTH, json=JOB)
    assert through_respx == []
    with respx.mock(assert_all_called=False), mock_piktid(seed=1):  # the user's router is asked first
        converted = httpx.post(f"{API}/edit-chat", headers=AUTH, json=JOB)
    assert through_respx == ["/edit-chat"]
    assert (converted.status_code, converted.headers, converted.content) == (
        direct.status_code,
        direct.headers,
        direct.content,
    )
