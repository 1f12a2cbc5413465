"""In-process round trip through the respx bridge (``mock_piktid``) vs a plain respx static route.

Both use the same sync ``httpx.Client`` and the same request; the static route answers a canned
202 body (the mock's own), so the ratio is what the whole mock (and the bridge's turn on the mock's
loop) costs a call. Rounds alternate the order; the best of each side is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import respx

from benchmarks._figures import Figure, spread
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


def _bridged(settings: Any, calls: int) -> tuple[float, Any]:
    from mock_server.testing import mock_piktid

    with mock_piktid(settings=settings), httpx.Client() as client:
        return _rate(client, calls)


def _static(body: Any, calls: int) -> float:
    with respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        router.post(f"{BASE}/edit-chat").mock(return_value=httpx.Response(202, json=body))
        return _rate(client, calls)[0]


def respx_bridge(*, calls: int = 2000, rounds: int = 5, say: Callable[[str], None] = print) -> list[Figure]:
    """Figures for the bridge, or none (with a message) when ``mock_piktid`` cannot be imported.

    Each round measures both, the order alternating from round to round, the mock a new entry each time;
    the best round of each is kept (noise only ever slows a round) and the note gives the rounds' ratios.
    """
    try:
        from mock_server import Settings
        from mock_server.testing import mock_piktid  # noqa: F401  # importable, or the benchmark is skipped
    except ImportError as exc:
        say(f"respx bridge benchmark skipped: mock_server.testing.mock_piktid is not importable ({exc})")
        return []
    settings = Settings(rate_limit=BENCH_RATE_LIMIT, open_credits=BENCH_CREDITS)
    _, body = _bridged(settings, min(calls, 20))
    bridged: list[float] = []
    static: list[float] = []
    for round_ in range(rounds):
        for side in ("mock", "respx") if round_ % 2 == 0 else ("respx", "mock"):
            if side == "mock":
                bridged.append(_bridged(settings, calls)[0])
            else:
                static.append(_static(body, calls))
        say(f"round {round_ + 1}: mock {bridged[-1]:,.0f} calls/s, respx {static[-1]:,.0f} calls/s")
    ratios = [b / s for b, s in zip(bridged, static, strict=True)]
    return [
        Figure(
            "respx bridge POST /edit-chat (sync httpx)",
            max(bridged),
            "calls/s",
            max(static),
            "plain respx route",
            note=(
                f"{calls} sequential calls each, best of {rounds} alternated rounds (each round's own ratio "
                f"min/median/max {spread(ratios)}); the mock "
                "runs on the calling thread while its loop thread sleeps"
            ),
        )
    ]
