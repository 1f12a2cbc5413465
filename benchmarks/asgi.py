"""``POST /edit-chat`` driven in-process (ASGI: no server, no socket), and the suite's figure for it.

``asgi_cost``: microseconds per request through the mock app vs the bare app, both in-process, so
uvicorn and h11 (which cost both the same) are left out. Each request also yields to the loop once,
so the variation it schedules (latency 0) completes inside the measurement, as on a server.
``python -m benchmarks.profile_edit_chat`` profiles the same loop.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from benchmarks._figures import Figure
from benchmarks._servers import bare_app, mock_app
from benchmarks.http_throughput import PAYLOAD

BODY = json.dumps(PAYLOAD).encode()
ACCEPTED = {"job_id": "job_0123456789abcdef", "conversation_id": "job_0123456789abcdef", "status": "processing"}


def _scope() -> dict[str, Any]:
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"authorization", b"Bearer bench-asgi"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/edit-chat",
        "raw_path": b"/edit-chat",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def drive(app: Any, requests: int) -> float:
    """Seconds for ``requests`` POSTs through ``app``; raises unless every answer was 202."""
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    for _ in range(requests):
        await app(_scope(), receive, send)
        await asyncio.sleep(0)
    elapsed = time.perf_counter() - started
    if set(statuses) != {202}:
        raise RuntimeError(f"unexpected statuses {sorted(set(statuses))}")
    return elapsed


def _per_request_us(make: Callable[[], Any], requests: int) -> float:
    async def run() -> float:
        app = make()
        await drive(app, min(500, requests))
        return min([await drive(app, requests) for _ in range(3)]) / requests * 1e6

    return asyncio.run(run())


def asgi_cost(*, requests: int = 5000, say: Callable[[str], None] = print) -> list[Figure]:
    """Microseconds per ``POST /edit-chat`` through the mock app vs a bare app, both in-process."""
    mock = _per_request_us(mock_app, requests)
    bare = _per_request_us(lambda: bare_app(ACCEPTED, {}), requests)
    say(f"in-process POST /edit-chat: mock {mock:.0f} us, bare {bare:.0f} us per request")
    return [
        Figure(
            "POST /edit-chat in-process (ASGI)",
            mock,
            "us/req",
            bare,
            "bare Starlette",
            higher_is_better=False,
            note=f"best of 3 x {requests} requests, no server: the app's own cost, completion included",
        )
    ]
