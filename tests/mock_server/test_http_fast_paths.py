"""The HTTP layer's fast paths answer exactly what the general paths they shortcut answer."""

from __future__ import annotations

import asyncio
import functools
import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mock_support import json_values
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mock_server.backend import ApiError, Backend, utf8_json
from mock_server.http.middleware import Edge
from mock_server.http.parsing import (
    _DECODER,
    MAX_JSON_DEPTH,
    _fast_json,
    check_json,
    first_headers,
    has_long_number,
    header,
    read_json,
)
from mock_server.http.render import json_response, record_response
from mock_server.settings import Settings

BODIES = [
    b'{"prompt":"p","size":"1K","num_variations":1}',
    b'"\\ud800"',
    b'"\xed\xa0\x80"',
    b'{"a":1,"a":2}',
    b"1e400",
    b"-1e400",
    b"2e308",
    b"NaN",
    b"Infinity",
    b"123456789012345678901234567890",
    b"-9223372036854775809",
    b"18446744073709551615",
    b"9223372036854775807",
    b"\xef\xbb\xbf{}",
    '{"a":1}'.encode("utf-16"),
    b"[1,2",
    b"",
    b" {} ",
    b"-0",
    b"-0.0",
    b"4.9e-324",
    b'{"a":"\\ud83d\\ude00"}',
    b"[" * (MAX_JSON_DEPTH + 2) + b"]" * (MAX_JSON_DEPTH + 2),
    b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH,
    b'{"k":' * 70 + b"1" + b"}" * 70,
    b'{"a":123456789012345678901234567890}',
    b'{"a":18446744073709551616,"b":"x"}',
    b'{"a":-9223372036854775809}',
    b'{"a":9223372036854775807,"b":"12345678901234567890"}',
    b'{"a":[123456789012345678901234567890]}',
    b'{"a":1.5,"b":12345678901234567890123}',
]


def _stdlib(raw: bytes) -> Any:
    """What ``read_json`` answered before its fast path: ``json.loads`` with the same hooks, then ``check_json``."""
    try:
        value = json.loads(raw, parse_constant=_DECODER.parse_constant, parse_float=_DECODER.parse_float)
    except (ValueError, RecursionError) as exc:
        return ("invalid_json", type(exc).__name__)
    try:
        check_json(value)
    except ApiError as exc:
        return (exc.code, exc.message)
    return value


@functools.cache
def _backend() -> Backend:
    """A memory-store backend with the default settings: what ``read_json`` reads its size limit from."""
    return Backend(Settings(store="memory"))


def _read(raw: bytes) -> Any:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": raw, "more_body": False}

    app = SimpleNamespace(state=SimpleNamespace(backend=_backend()))
    request = Request({"type": "http", "method": "POST", "headers": [], "app": app}, receive)
    try:
        return asyncio.run(read_json(request))
    except ApiError as exc:
        return (
            ("invalid_json", exc.message.rsplit("(", 1)[-1].rstrip(")."))
            if exc.code == "invalid_json" and ("not valid JSON" in exc.message)
            else (exc.code, exc.message)
        )


@pytest.mark.parametrize("raw", BODIES, ids=range(len(BODIES)))
def test_read_json_answers_as_the_stdlib_path(raw: bytes) -> None:
    expected, got = _stdlib(raw), _read(raw)
    assert repr(got) == repr(expected)


def test_the_fast_path_takes_the_usual_body() -> None:
    assert _fast_json(BODIES[0]) == {"prompt": "p", "size": "1K", "num_variations": 1}


@pytest.mark.parametrize("body", [{"a": "é", "b": [1, 2.5, None, True]}, [], "x", 1e16])
def test_json_response_is_starlettes(body: Any) -> None:
    mine, theirs = json_response(body, 202, {"X-A": "1"}), JSONResponse(body, 202, {"X-A": "1"})
    assert (mine.body, mine.raw_headers, mine.status_code) == (theirs.body, theirs.raw_headers, theirs.status_code)


_VALUES = json_values(tuples=True)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_VALUES)
def test_record_response_is_starlettes(body: Any) -> None:
    """orjson for the mock's own bodies: byte for byte Starlette's, for any JSON value but NaN and infinity."""
    mine, theirs = record_response(body, 202), JSONResponse(body, 202)
    assert (mine.body, mine.raw_headers, mine.status_code) == (theirs.body, theirs.raw_headers, theirs.status_code)


@pytest.mark.parametrize(
    "body", [{1: "int key"}, {"s": "\ud800"}, 2**64, [float("1e-5")], [1e-7, 9.99e-5, 1e16], {"e": "an e-mail"}]
)
def test_record_response_leaves_what_orjson_writes_otherwise_to_the_stdlib(body: Any) -> None:
    try:
        expected: Any = JSONResponse(body).body
    except (UnicodeEncodeError, ValueError, TypeError) as exc:
        expected = type(exc)
    try:
        got: Any = record_response(body).body
    except (UnicodeEncodeError, ValueError, TypeError) as exc:
        got = type(exc)
    assert got == expected


def test_json_response_refuses_nan_like_starlette() -> None:
    with pytest.raises(ValueError):
        json_response(float("nan"))


OPTIONS: dict[str, Any] = {
    "allow_origins": ["*"],
    "allow_methods": ["*"],
    "allow_headers": ["*"],
    "expose_headers": ["Retry-After"],
    "max_age": 600,
}


def _answer(middleware: Any, headers: list[tuple[bytes, bytes]], response: Response) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""}
    asyncio.run(middleware(response)(scope, receive, send))
    return sent


@pytest.mark.parametrize(
    "vary", [[], [(b"vary", b"Accept")], [(b"vary", b"Accept"), (b"x-other", b"1"), (b"vary", b"Cookie")]]
)
@pytest.mark.parametrize("origin", [[], [(b"origin", b"https://example.com")]])
def test_cors_answers_as_starlettes(vary: list[tuple[bytes, bytes]], origin: list[tuple[bytes, bytes]]) -> None:
    def response() -> Response:
        answer = Response(b"ok")
        answer.raw_headers.extend(vary)
        return answer

    mine = _answer(lambda app: Edge(app, Backend(), cors=OPTIONS), origin, response())
    theirs = _answer(lambda app: CORSMiddleware(app, **OPTIONS), origin, response())
    assert mine == theirs


@settings(max_examples=500, deadline=None)
@given(
    st.binary(max_size=60)
    | st.lists(st.sampled_from([b"0", b"7", b"9", b"a", b",", b"\xb2"]), max_size=60).map(b"".join)
)
def test_long_numbers_are_found_as_the_regular_expression_finds_them(raw: bytes) -> None:
    assert has_long_number(raw) == bool(re.search(rb"[0-9]{19}", raw))


_NAMES = st.sampled_from([b"authorization", b"host", b"content-length", b"prefer", b"x-mock-scenario", b"origin"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_NAMES, st.binary(max_size=8)), max_size=8))
def test_first_headers_reads_each_header_as_header_does(headers: list[tuple[bytes, bytes]]) -> None:
    request = Request({"type": "http", "headers": headers})
    found = first_headers(request.scope)
    for name in [b"authorization", b"host", b"content-length", b"prefer", b"x-mock-scenario", b"origin"]:
        value = found.get(name)
        assert (None if value is None else value.decode("latin-1")) == header(request, name)


_FLAT = st.dictionaries(
    st.text(max_size=6), st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=12), max_size=6
)


@settings(max_examples=500, deadline=None)
@given(_FLAT)
def test_flat_bodies_skip_the_float_scan_with_the_stdlibs_bytes(body: dict[str, Any]) -> None:
    """A dict of strings, integers, booleans and None is taken from orjson without ``may_differ``: the same bytes."""
    try:
        expected: Any = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        expected = UnicodeEncodeError
    try:
        got: Any = utf8_json(body, json.JSONEncoder(ensure_ascii=False, separators=(",", ":")), nan=True)
    except UnicodeEncodeError:
        got = UnicodeEncodeError
    assert got == expected


_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=6) | st.floats(allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=4), _SCALARS | st.lists(_SCALARS, max_size=3), max_size=5))
def test_read_json_answers_bodies_with_long_integers_as_the_stdlib_path(body: dict[str, Any]) -> None:
    """The long-integer check is skipped only for a value that cannot hold one (no float): any integer,
    however long, comes back exact."""
    raw = json.dumps(body).encode()
    assert repr(_read(raw)) == repr(_stdlib(raw))
