"""Time from a variation completing to its ``image_result`` reaching N open SSE streams (vs 1 stream).

A ``LiveServer`` with a manual clock holds the job; every stream is open and past
``backfill_complete`` before the clock moves, so the figure is fan-out and delivery alone. The
server runs in a thread of this process (as tests use it), so clients and server share one GIL.
"""

from __future__ import annotations

import asyncio
import functools
import json
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
from httpx_sse import aconnect_sse

from benchmarks._figures import Figure
from benchmarks._servers import BENCH_CREDITS, BENCH_RATE_LIMIT

if TYPE_CHECKING:
    from mock_server.testing import LiveServer

TOKEN = "bench-sse"
LATENCY = 1.0
WAIT_TIMEOUT = 30.0


class _Fanout:
    """N streams of one user; ``arrived`` counts the image_result frames per job id."""

    def __init__(self, streams: int) -> None:
        self.streams = streams
        self.ready = 0
        self.arrived: dict[str, int] = {}
        self.changed = asyncio.Condition()

    async def listen(self, client: httpx.AsyncClient, url: str) -> None:
        params = {"name_list": "image_result"}
        async with aconnect_sse(client, "GET", url, params=params, headers={"Authorization": f"Bearer {TOKEN}"}) as es:
            async for event in es.aiter_sse():
                async with self.changed:
                    if event.event == "backfill_complete":
                        self.ready += 1
                    elif event.event in ("", "message"):
                        job = json.loads(event.data)["data"]["id_task"]
                        self.arrived[job] = self.arrived.get(job, 0) + 1
                    self.changed.notify_all()

    def has_all(self, job: str, streams: int) -> bool:
        return self.arrived.get(job, 0) == streams

    async def wait(self, predicate: Callable[[], bool]) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(predicate), WAIT_TIMEOUT)


async def _rounds(server: LiveServer, streams: int, rounds: int) -> list[float]:
    """Seconds from ``advance`` to the last stream's frame, for each round."""
    fan, times = _Fanout(streams), []
    limits = httpx.Limits(max_connections=streams + 4, max_keepalive_connections=streams + 4)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=httpx.Timeout(10.0, read=None)) as client:
        tasks = [asyncio.create_task(fan.listen(client, "/notifications/events")) for _ in range(streams)]
        try:
            await fan.wait(lambda: fan.ready == streams)
            for _ in range(rounds):
                accepted = await client.post(
                    "/edit-chat", json={"prompt": "fan-out", "size": "1K"}, headers={"Authorization": f"Bearer {TOKEN}"}
                )
                job = accepted.raise_for_status().json()["job_id"]
                started = time.perf_counter()
                await asyncio.to_thread(server.control.advance, LATENCY)
                await fan.wait(functools.partial(fan.has_all, job, streams))
                times.append(time.perf_counter() - started)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return times


def _median_ms(streams: int, rounds: int) -> float:
    from mock_server import Settings
    from mock_server.testing import LiveServer

    settings = Settings(clock="manual", latency=LATENCY, rate_limit=BENCH_RATE_LIMIT, open_credits=BENCH_CREDITS)
    with LiveServer(settings) as server:
        return statistics.median(asyncio.run(_rounds(server, streams, rounds))) * 1000


def sse_fanout(*, streams: int = 100, rounds: int = 5, say: Callable[[str], None] = print) -> list[Figure]:
    """Milliseconds from a variation completing to its ``image_result`` on ``streams`` open streams, vs one."""
    many, one = _median_ms(streams, rounds), _median_ms(1, rounds)
    say(f"SSE fan-out: {streams} streams {many:.1f} ms, 1 stream {one:.1f} ms")
    return [
        Figure(
            f"image_result to {streams} SSE streams",
            many,
            "ms",
            one,
            "1 stream",
            higher_is_better=False,
            note=f"median of {rounds} variations; from clock advance to the last stream's frame, "
            "LiveServer thread and clients in one process",
        )
    ]
