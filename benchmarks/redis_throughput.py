"""``POST /edit-chat`` throughput on the Redis store: 1 worker against the memory store, 2 workers against 1.

Issue 12's aim: one worker on Redis at least half the memory store's throughput (a request should
cost O(1) Redis round trips, not one per field). The three servers (memory 1 worker, Redis 1
worker, Redis 2 workers) run side by side on one throwaway ``redis-server`` (loopback, no disk),
each Redis mock under its own key prefix, so none sees another's state or events; they are
measured in turn, round after round, and the best round of each counts (as ``http_throughput``).

The 2-worker figure says what a second process buys on this machine: the load generator, both
workers and redis-server share its cores, so on 2 cores it cannot reach 2.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks._figures import Figure
from benchmarks._load_generator import Load
from benchmarks._servers import ServerProcess
from benchmarks.http_throughput import PAYLOAD, TOKEN, _measure, _runner, _write_bodies

TARGET = 0.5
"""Issue 12: Redis 1 worker / memory 1 worker."""
COMMANDS_SAMPLE = 100
"""POSTs whose Redis commands are counted (sequential, each job completed) for the note."""


def commands_per_post(url: str, redis_url: str, posts: int = COMMANDS_SAMPLE) -> float:
    """Redis commands executed per ``POST /edit-chat`` on the mock at ``url``, its completion included.

    Counted by redis-server itself (``INFO stats``), so a pipeline's or a transaction's commands count
    one by one: an upper bound on the round trips, which ``python -m benchmarks.redis_round_trips``
    counts client-side.
    """
    import redis

    counter = redis.Redis.from_url(redis_url)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=10.0) as client:
            client.post("/edit-chat", json=PAYLOAD).raise_for_status()  # the user exists before counting
            before = int(counter.info("stats")["total_commands_processed"])
            for _ in range(posts):
                job = client.post("/edit-chat", json=PAYLOAD).raise_for_status().json()["job_id"]
            polls = 0
            while client.get(f"/jobs/{job}/results").json()["summary"]["processing"]:
                polls += 1
                if polls > 200:
                    raise RuntimeError("the last counted job did not finish (latency 0 should finish it at once)")
            after = int(counter.info("stats")["total_commands_processed"])
    finally:
        counter.close()
    # The INFO calls count themselves; the result polls (GETs) are included, a few commands each.
    return (after - before - 1) / posts


def _figures(best: dict[str, Load], commands: float, machine_note: str) -> list[Figure]:
    memory, one, two = best["memory"], best["redis 1 worker"], best["redis 2 workers"]

    def counted(load: Load) -> str:
        return f"{load.requests} requests in {load.seconds:.1f} s, {load.failures} failures"

    return [
        Figure(
            "POST /edit-chat throughput, Redis store 1 worker",
            one.rps,
            "req/s",
            memory.rps,
            "memory store 1 worker",
            target=TARGET,
            note=f"{one.generator}; Redis {counted(one)}; memory {counted(memory)}; "
            f"{commands:.1f} Redis commands per POST (its completion included, counted by redis-server)",
        ),
        Figure(
            "POST /edit-chat throughput, Redis store 2 workers",
            two.rps,
            "req/s",
            one.rps,
            "Redis store 1 worker",
            note=f"{two.generator}; {counted(two)}; {machine_note}",
        ),
    ]


def redis_throughput(
    *,
    seconds: float = 5.0,
    rounds: int = 3,
    connections: int = 32,
    generator: str = "auto",
    requests: int | None = None,
    say: Callable[[str], None] = print,
) -> list[Figure]:
    """Both Redis ratios from one run; needs ``redis-server`` on PATH (Debian: ``apt-get install redis-server``)."""
    from mock_server.testing import RedisServer

    if shutil.which("redis-server") is None:
        raise RuntimeError("redis-server is not on PATH (apt-get install redis-server)")
    run = _runner(generator, seconds, connections, requests, say)
    with tempfile.TemporaryDirectory() as tmp, RedisServer() as redis_server:
        payload = _write_bodies(tmp, {}, {})["payload.json"]
        store = ["--store", redis_server.url, "--store-prefix"]
        with (
            ServerProcess(["mock"]) as memory,
            ServerProcess(["mock", *store, "bench-one:"]) as one,
            ServerProcess(["mock", *store, "bench-two:"], workers=2) as two,
        ):
            commands = commands_per_post(one.url, redis_server.url, min(COMMANDS_SAMPLE, requests or COMMANDS_SAMPLE))
            say(f"Redis commands per POST /edit-chat (completion included): {commands:.1f}")
            targets = {"memory": memory.url, "redis 1 worker": one.url, "redis 2 workers": two.url}
            endpoints: dict[str, tuple[str, str, Path | None]] = {"POST /edit-chat": ("/edit-chat", "POST", payload)}
            best = {name: load for (_, name), load in _measure(run, targets, endpoints, rounds).items()}
    machine_note = (
        f"{os.cpu_count()} cores shared by the load generator, both workers and redis-server, "
        "so the ceiling here is below 2"
    )
    return _figures(best, commands, machine_note)
