"""In-process round trip through the respx bridge (``mock_piktid``) vs a plain respx static route.

Both use the same sync ``httpx.Client`` and the same request; the static route answers a canned
202 body, so the ratio is what the whole mock (and the bridge's turn on the mock's loop) costs a test.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import respx

from benchmarks._figures import Figure
from benchmarks._servers import BENCH_CREDITS, BENCH_RATE_LIMIT

BASE = "https://v2.api.piktid.com"
PAYLOAD: dict[str, Any] = {"prompt": "a red bicycle leaning on a wall", "size": "1K"}
HEADERS = {"Authorization": "Bearer bench-bridge"}


def _rate(client: httpx.Client, calls: int) -> tuple[float, Any]:
    """Calls per second of ``calls`` sequential POSTs (after a short warm-up), and the last body."""
    for _ in range(min(20, calls)):
        client.post(f"{BASE}/edit-chat", json=PAYLOAD, headers=HEADERS).raise_for_status()
    started = time.perf_counter()
    for _ in range(calls):
        response = client.post(f"{BASE}/edit-chat", json=PAYLOAD, headers=HEADERS)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return calls / elapsed, response.json()


def respx_bridge(*, calls: int = 2000, say: Callable[[str], None] = print) -> list[Figure]:
    """Figures for the bridge, or none (with a message) when ``mock_piktid`` cannot be imported."""
    try:
        from mock_server import Settings
        from mock_server.testing import mock_piktid
    except ImportError as exc:
        say(f"respx bridge benchmark skipped: mock_server.testing.mock_piktid is not importable ({exc})")
        return []
    settings = Settings(rate_limit=BENCH_RATE_LIMIT, open_credits=BENCH_CREDITS)
    with mock_piktid(settings=settings), httpx.Client() as client:
        bridged, body = _rate(client, calls)
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        router.post(f"{BASE}/edit-chat").mock(return_value=httpx.Response(202, json=body))
        static, _ = _rate(client, calls)
    return [
        Figure(
            "respx bridge POST /edit-chat (sync httpx)",
            bridged,
            "calls/s",
            static,
            "plain respx route",
            note=f"{calls} sequential calls each; the mock runs on the calling thread while its loop thread sleeps",
        )
    ]
