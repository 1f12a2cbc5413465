"""Reading requests safely: bearer tokens, bounded bodies, JSON that may be anything."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import orjson
from starlette.datastructures import FormData, UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive, Scope

from mock_server.backend import ApiError, Backend, ascii_int, flat_without_floats
from mock_server.runtime import Runtime

BACKEND_KEY = "piktid_mock.backend"
"""Where ``Edge`` puts the app's ``Backend`` in each request's scope: ``request.app.state.backend`` costs
a failed attribute lookup and ``State.__getattr__`` per read, and a ``POST /edit-chat`` reads it thrice."""


def backend_of(request: Request) -> Backend:
    return scope_backend(request.scope)


def scope_backend(scope: Scope) -> Backend:
    """The app's ``Backend``: where ``Edge`` put it in the scope, else ``app.state.backend``."""
    backend: Backend | None = scope.get(BACKEND_KEY)
    if backend is None:
        backend = scope["app"].state.backend
    return backend


def note(request: Request, key: str, value: object) -> None:
    """``request.state.<key> = value`` (what the journal reads), without building Starlette's ``State``."""
    request.scope.setdefault("state", {})[key] = value


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def first_headers(scope: Scope) -> dict[bytes, bytes]:
    """Each header's first value by its (lowercase) name, as ``header`` reads them, in one pass: ``dict``
    over the scope's list reversed, so the first of a repeated name wins. An endpoint reading several
    headers (``POST /edit-chat`` reads five, two usually absent) builds it once instead of scanning the
    list once per name."""
    return dict(reversed(scope["headers"]))


def header(request: Request, name: bytes) -> str | None:
    """The first value of header ``name`` (lowercase, as ASGI gives names), as ``request.headers.get`` reads it.

    Why not ``request.headers.get``: each call lowers and encodes the name and goes through ``Mapping.get``,
    which raises and catches a ``KeyError`` for an absent header; a ``POST /edit-chat`` reads five headers
    (two usually absent) on the hot path. This scans the scope's list once per name, nothing else."""
    for key, value in request.scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def bearer(request: Request, *, allow_query: bool = False) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (or ``?token=`` where the API allows it)."""
    value = header(request, b"authorization")
    if value is not None:
        return bearer_token(value)
    return request.query_params.get("token") if allow_query else None


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization`` header's value (``Bearer <token>``), None for another scheme or none."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def base_url(request: Request) -> str:
    """``scheme://host[:port][root_path]`` from the scope; ``request.base_url`` costs a URL parse per request."""
    return scope_base_url(request.scope, header(request, b"host"))


def scope_base_url(scope: Scope, host: str | None) -> str:
    """``base_url`` from the scope and its ``Host`` header's value (None: absent)."""
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = server[0] if server[1] in (None, 80, 443) else f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}".rstrip("/")


def declared_length(request: Request) -> int | None:
    """The Content-Length header as a number; None when absent or not a number (the stream is then counted)."""
    return ascii_int(header(request, b"content-length"))


async def read_body(request: Request, limit: int, too_large: Callable[[], ApiError] | None = None) -> bytes:
    """The body, refused with 413 as soon as it passes ``limit`` (by Content-Length or while streaming)."""
    return await receive_body(request.receive, declared_length(request), limit, too_large)


async def receive_body(
    receive: Receive, declared: int | None, limit: int, too_large: Callable[[], ApiError] | None = None
) -> bytes:
    """``read_body`` from ``receive`` and the declared Content-Length (None: absent or not a number)."""
    if declared is not None and declared > limit:
        raise _too_large(limit, too_large)
    chunks, size = [], 0
    while True:  # what ``request.stream()`` yields, without an async generator per request
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, too_large)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(limit: int, too_large: Callable[[], ApiError] | None) -> ApiError:
    if too_large is not None:
        return too_large()
    return ApiError("body_too_large", f"The request body is larger than {limit} bytes.", max_bytes=limit)


async def read_json(request: Request, *, optional: bool = False) -> Any:
    """Parsed JSON of any shape; 400 ``invalid_json`` for bytes that are not JSON, 413 past the limit."""
    raw = await read_body(request, backend_of(request).settings.request_max_bytes)
    if optional and not raw:
        return {}
    return parse_json(raw)


def parse_json(raw: bytes) -> Any:
    """``read_json``'s answer for a body read whole (400 ``invalid_json``)."""
    fast = _fast_json(raw)
    if fast is not _NO_FAST_ANSWER:
        return fast
    try:
        value = _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))
    except (ValueError, RecursionError) as exc:
        raise ApiError("invalid_json", f"The request body is not valid JSON ({type(exc).__name__}).") from None
    check_json(value)
    return value


_NO_FAST_ANSWER: Any = object()
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19
"""19 digits in a row (found as 19 zeros once every digit is a zero): an integer orjson would turn into
a float (Python's parser keeps it exact). A translation and a substring search, not the regular
expression ``[0-9]{19}``, which tried a count at every byte and cost as much as the rest of parsing."""


def has_long_number(raw: bytes) -> bool:
    """Whether ``raw`` holds 19 ASCII digits in a row."""
    return _LONG_NUMBER in raw.translate(_DIGITS_AS_ZERO)


def _fast_json(raw: bytes) -> Any:
    """The value ``read_json`` answers for ``raw``, by orjson; ``_NO_FAST_ANSWER`` to take the stdlib path.

    orjson refuses (so the stdlib path decides, with its own error) everything where the two differ but
    long integers: NaN and Infinity, numbers overflowing a double, lone surrogates (escaped or raw), a BOM
    and UTF-16/32. An integer orjson cannot hold (19 digits or more, past 64 bits) it turns into a float,
    so a value holding a float goes to the stdlib path when ``raw`` has 19 digits in a row; a value that
    cannot hold one (``flat_without_floats``: the usual body) needs no look at ``raw``. What orjson
    accepts is UTF-8 without lone surrogates, so ``check_json`` can only refuse its depth, and a value
    cannot nest deeper than the brackets it contains.
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _NO_FAST_ANSWER
    if not flat_without_floats(value) and has_long_number(raw):
        return _NO_FAST_ANSWER
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:
        check_json(value)
    return value


MAX_JSON_DEPTH = 64
"""Deepest nesting accepted (inferred: no v2 body nests past 3 levels; deeper ones only exhaust recursion)."""


def check_json(value: Any) -> None:
    """Refuse, with a 400 naming the top-level field, what no response or journal could carry back.

    Lone surrogates (``"\\ud800"``) are not Unicode scalar values: Python's parser accepts them, a
    strict one (the service's, inferred) rejects them, and they cannot be encoded as UTF-8 later.
    Nesting past ``MAX_JSON_DEPTH`` is refused too. Iterative, so no input can exhaust the stack.
    """
    pending: list[tuple[Any, int, str | None]] = [(value, 0, None)]
    while pending:
        item, depth, top = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise _refused(top, f"nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, str) and not _is_unicode(item):
            raise _refused(top, "a string holds a lone surrogate (not valid Unicode)")
        if isinstance(item, dict):
            for key, child in item.items():
                if not _is_unicode(key):
                    raise _refused(top, "a key holds a lone surrogate (not valid Unicode)")
                pending.append((child, depth + 1, key if top is None and depth == 0 else top))
        elif isinstance(item, list):
            pending.extend((child, depth + 1, top) for child in item)


def check_form(form: FormData) -> None:
    """Refuse, with a 400 naming the part, a multipart field name, value or filename that is not Unicode.

    A part's bytes are decoded with the charset the request declares, and some codecs
    (``unicode_escape``, ``utf-7``) produce lone surrogates that no response could carry back.
    """
    for name, value in form.multi_items():
        text = (value.filename or "") if isinstance(value, UploadFile) else value
        if not _is_unicode(name):
            raise _refused(None, "a part name holds a lone surrogate (not valid Unicode)")
        if not _is_unicode(text):
            what = "filename" if isinstance(value, UploadFile) else "value"
            raise _refused(name, f"the part's {what} holds a lone surrogate (not valid Unicode)")


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refused(field: str | None, why: str) -> ApiError:
    if field is None or not _is_unicode(field):
        return ApiError("invalid_json", f"The request body is not accepted: {why}.")
    return ApiError("invalid_parameter", f"{field}: {why}.", field=field)


def _no_constant(name: str) -> float:
    """JSON has no NaN or Infinity; Python's parser accepts them, and no response could carry them back."""
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} overflows a double")
    return value


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)
"""``json.loads(raw, parse_constant=..., parse_float=...)`` built once (``loads`` builds one per call)."""


def replay(request: Request, body: bytes) -> Request:
    """A copy of ``request`` whose body is ``body`` (already read, e.g. to enforce a size limit)."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)
