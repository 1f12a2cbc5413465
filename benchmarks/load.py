"""Load and soak test: ``python -m benchmarks.load [--seconds 60] [--users 50]`` (``make load``).

For a bounded time, simulated users upload, generate (1-4 variations, 1K/2K/4K, some failing on
purpose via ``X-Mock-Scenario: failed``), poll results and status, download thumbnails, hold one or
two SSE streams each, and receive webhooks on a local receiver (a third of them flaky). The mock
runs as a uvicorn subprocess with a real clock, small latency and fast webhook backoff. Then the
checks: no 5xx; every credit accounted for per user; every variation exactly once on every stream
of its user and delivered by exactly one successful webhook; tasks, subscriptions and memory
bounded. Prints ``LOAD PASS ...`` or ``LOAD FAIL ...`` and exits 1 on failure.

The documented rate limit (15 generations a minute per user) would cap 50 users at 12.5
generations/s, so the load server raises it (``--rate-limit``); the output says so.

``--store redis --workers 2`` runs the same load and the same exact checks on the Redis store with
two worker processes behind one port (``--store redis`` starts a throwaway ``redis-server`` on
loopback; ``--store redis://HOST:PORT/DB`` uses that Redis under a key prefix of its own, left
there after). Connections land on either worker, so a job is often created on one, streamed from
the other and completed by whichever claims it; the server's stats are summed over the workers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from benchmarks._load_checks import (
    credit_problems,
    growth_problems,
    results_problems,
    stream_problems,
    traffic_problems,
    webhook_problems,
)
from benchmarks._load_generator import skip_missing_sniffio
from benchmarks._load_receiver import Receiver
from benchmarks._load_users import Key, Stream, Traffic, User, listen, upload, work
from benchmarks._servers import ServerProcess

START_CREDITS = 1_000_000.0
DRAIN_TIMEOUT = 60.0
IDLE_SECONDS = 2.0
"""How long the drained server is watched for growth with nothing to do."""
KEEPALIVE_EXPIRY = 2.0
"""Under uvicorn's 5 s keep-alive timeout, so the client never reuses a connection the server is closing."""
LOAD_RATE_LIMIT = 10**9


@dataclass
class Options:
    seconds: float = 60.0
    users: int = 50
    concurrency: int = 2
    """Concurrent client workers per user."""
    store: str = "memory"
    """``memory``, ``redis`` (a throwaway redis-server) or a ``redis://`` URL."""
    workers: int = 1
    """Server worker processes behind one port (more than 1 needs a Redis store)."""
    latency: float = 0.05
    backoff: float = 0.05
    attempts: int = 8
    max_requests: int = 500_000
    seed: int = 8
    rate_limit: int = LOAD_RATE_LIMIT
    profile: str | None = None
    """Run the server under cProfile and write its stats to this file."""


@dataclass
class Outcome:
    passed: bool
    verdict: str
    problems: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


async def _until(check: Callable[[], Awaitable[bool]], timeout: float) -> bool:
    """Poll ``check`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


PER_PROCESS = ("rss_kib", "tasks", "webhook_tasks", "subscriptions", "cpu_seconds")
"""Stats each worker process has its own of (summed over workers); the rest describe the shared state."""


async def _stats(api: httpx.AsyncClient, urls: list[str]) -> dict[str, Any]:
    """The server's stats: each worker asked on its own port, per-process figures summed."""
    each = [(await api.get(url + "/_bench/stats")).raise_for_status().json() for url in urls]
    return {**each[0], **{key: sum(s[key] for s in each) for key in PER_PROCESS}}


async def _sample(
    api: httpx.AsyncClient, urls: list[str], traffic: Traffic, samples: list[dict[str, Any]], stop: asyncio.Event
) -> None:
    """The server's stats once a second, with how many requests the load had made by then."""
    while not stop.is_set():
        samples.append({"at": time.monotonic(), "requests": traffic.requests, **await _stats(api, urls)})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def _setup(
    api: httpx.AsyncClient,
    streams: httpx.AsyncClient,
    user: User,
    receiver: Receiver,
    count: int,
    tasks: list[asyncio.Task[None]],
) -> None:
    (await api.put(f"/_mock/accounts/{user.token}", json={"credits": START_CREDITS, "plan": "pro"})).raise_for_status()
    hook = await api.put("/webhooks", json={"url": receiver.url_for(user.token)}, headers=user.auth)
    user.secret = hook.raise_for_status().json()["secret"]
    for _ in range(count):
        stream = Stream()
        user.streams.append(stream)
        tasks.append(asyncio.create_task(listen(streams, user, stream)))
    await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in user.streams)), 30)
    await upload(api, user, Traffic())


async def _settled(api: httpx.AsyncClient, users: list[User]) -> bool:
    """No variation in progress and no webhook delivery pending, for anyone."""
    for user in users:
        if (await api.get(f"/_mock/accounts/{user.token}")).json()["in_progress_credits"]:
            return False
    return all(d["status"] != "pending" for d in (await api.get("/_mock/deliveries")).json())


def _streams_complete(users: list[User]) -> bool:
    return all(set(s.seen) >= set(u.expected()) for u in users for s in u.streams)


async def _results(api: httpx.AsyncClient, user: User) -> dict[Key, str]:
    out: dict[Key, str] = {}
    for job in user.jobs:
        body = (await api.get(f"/jobs/{job}/results", headers=user.auth)).raise_for_status().json()
        out.update({(job, r["image_index"], r["group_index"]): r["status"] for r in body["results"]})
    return out


async def _check_user(api: httpx.AsyncClient, user: User, receiver: Receiver) -> list[str]:
    account = (await api.get(f"/_mock/accounts/{user.token}")).raise_for_status().json()
    deliveries = (await api.get("/_mock/deliveries", params={"user": user.token})).raise_for_status().json()
    receipts = [r for r in receiver.receipts if r.user == user.token]
    return (
        results_problems(user, await _results(api, user))
        + credit_problems(user, account, START_CREDITS)
        + stream_problems(user)
        + webhook_problems(user, receipts, deliveries)
    )


async def _load(
    api: httpx.AsyncClient, urls: list[str], users: list[User], traffic: Traffic, opts: Options
) -> tuple[float, str]:
    """Run the workers; the seconds it took and how busy each side's CPU was meanwhile."""
    rng = random.Random(opts.seed)
    deadline = time.monotonic() + opts.seconds
    started, server_cpu, client_cpu = time.perf_counter(), (await _stats(api, urls))["cpu_seconds"], time.process_time()
    await asyncio.gather(
        *(
            work(api, u, traffic, random.Random(rng.random()), deadline, opts.max_requests)
            for u in users
            for _ in range(opts.concurrency)
        )
    )
    elapsed = time.perf_counter() - started
    server_cpu = (await _stats(api, urls))["cpu_seconds"] - server_cpu
    busy = (
        f"CPU busy during the load: server {100 * server_cpu / elapsed:.0f} % ({opts.workers} worker(s)), "
        f"load client {100 * (time.process_time() - client_cpu) / elapsed:.0f} % (of one core each; the webhook "
        "receivers run in a process of their own)"
    )
    return elapsed, busy


def _rate_line(opts: Options) -> str:
    if opts.rate_limit <= 15:
        return (
            f"rate limit: {opts.rate_limit}/min per user, respected: a 429 is an expected answer "
            "and its generation is simply not made"
        )
    return (
        f"rate limit: raised to {opts.rate_limit}/min per user for this load (the documented 15/min would "
        f"cap {opts.users} users at {opts.users * 15 / 60:.1f} generations/s); not respected on purpose"
    )


def _summary(
    users: list[User],
    traffic: Traffic,
    receiver: Receiver,
    elapsed: float,
    samples: list[dict[str, Any]],
    opts: Options,
) -> list[str]:
    variations = sum(len(u.expected()) for u in users)
    failed = sum(s == "failed" for u in users for s in u.expected().values())
    lat = sorted(traffic.latencies) or [0.0]
    retries = sum(1 for r in receiver.receipts if not r.ok and not r.truncated)
    cut = sum(1 for r in receiver.receipts if r.truncated)
    return [
        _rate_line(opts),
        f"requests: {traffic.requests} in {elapsed:.1f} s ({traffic.requests / elapsed:.0f}/s), "
        f"p50 {lat[len(lat) // 2] * 1000:.1f} ms, p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms; "
        f"statuses {dict(sorted(traffic.statuses.items()))}",
        f"variations: {variations} ({failed} failed on purpose) in {sum(len(u.jobs) for u in users)} jobs; "
        f"streams: {sum(len(u.streams) for u in users)}; webhook requests: {len(receiver.receipts)} "
        f"({retries} answered 500 by flaky receivers, {cut} cut short by the mock's attempt timeout)",
        "server: RSS "
        + " -> ".join(f"{s['rss_kib'] // 1024}" for s in samples[:: max(1, len(samples) // 8)])
        + f" MiB; asyncio tasks max {max(s['tasks'] for s in samples)} (idle {samples[-1]['tasks']}), "
        f"scheduled callbacks max {max(s['scheduled'] for s in samples)}; holds {samples[-1]['jobs']} jobs, "
        f"{samples[-1]['deliveries']} deliveries, {samples[-1]['journal']} journal entries",
    ]


@dataclass
class _Session:
    """One load run's clients, users, receiver and records, phase by phase."""

    opts: Options
    api: httpx.AsyncClient
    streams: httpx.AsyncClient
    users: list[User]
    receiver: Receiver
    stats_urls: list[str]
    traffic: Traffic = field(default_factory=Traffic)
    samples: list[dict[str, Any]] = field(default_factory=list)
    listeners: list[asyncio.Task[None]] = field(default_factory=list)

    async def setup(self) -> None:
        for i, user in enumerate(self.users):
            await _setup(self.api, self.streams, user, self.receiver, 1 + i % 2, self.listeners)

    async def drain(self) -> list[str]:
        """Wait (bounded) for every variation, delivery and stream frame; then compare everything."""
        problems = traffic_problems(self.traffic)
        if not await _until(lambda: _settled(self.api, self.users), DRAIN_TIMEOUT):
            problems.append(f"work still pending {DRAIN_TIMEOUT:.0f} s after the load")
        if not await _until(lambda: asyncio.sleep(0, _streams_complete(self.users)), DRAIN_TIMEOUT):
            problems.append("some streams still miss image_results after the drain")
        for user in self.users:
            problems += await _check_user(self.api, user, self.receiver)
        return problems

    async def idle(self, before: dict[str, Any], load_samples: list[dict[str, Any]]) -> list[str]:
        """Close the streams, let the server idle, and check what it still holds."""
        for task in self.listeners:
            task.cancel()
        await asyncio.gather(*self.listeners, return_exceptions=True)
        await _until(lambda: _quiet(self.api, self.stats_urls), 15)
        idle_start = await _stats(self.api, self.stats_urls)
        await asyncio.sleep(IDLE_SECONDS)
        idle = await _stats(self.api, self.stats_urls)
        self.samples.append({"requests": self.traffic.requests, **idle})
        return growth_problems(before, idle_start, idle, load_samples)


def _clients(opts: Options, url: str) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    """The API client (keep-alive under the server's) and the streams' client (no read timeout)."""
    limits = httpx.Limits(
        max_connections=opts.users * opts.concurrency + 32,
        max_keepalive_connections=None,
        keepalive_expiry=KEEPALIVE_EXPIRY,
    )
    stream_limits = httpx.Limits(max_connections=opts.users * 2 + 8, max_keepalive_connections=None)
    return (
        httpx.AsyncClient(base_url=url, limits=limits, timeout=30.0),
        httpx.AsyncClient(base_url=url, limits=stream_limits, timeout=httpx.Timeout(30.0, read=None)),
    )


async def _run(opts: Options, server: ServerProcess) -> Outcome:
    rng = random.Random(opts.seed)
    users = [User(f"load-user-{i:02d}", flaky=i % 3 == 0) for i in range(opts.users)]
    receiver = Receiver({u.token for u in users if u.flaky}, random.Random(rng.random()))
    await receiver.start()
    api, streams = _clients(opts, server.url)
    async with api, streams:
        urls = server.worker_urls
        session, stop = _Session(opts, api, streams, users, receiver, urls), asyncio.Event()
        before = await _stats(api, urls)
        await session.setup()
        sampler = asyncio.create_task(_sample(api, urls, session.traffic, session.samples, stop))
        elapsed, busy = await _load(api, urls, users, session.traffic, opts)
        stop.set()
        await sampler
        load_samples = list(session.samples)
        problems = await session.drain()
        problems += await session.idle(before, load_samples)
    await receiver.stop()
    lines = [*_summary(users, session.traffic, receiver, elapsed, session.samples, opts), busy]
    return _outcome(problems, lines, users, session.traffic, opts)


async def _quiet(api: httpx.AsyncClient, urls: list[str]) -> bool:
    stats = await _stats(api, urls)
    return stats["subscriptions"] == 0 and stats["webhook_tasks"] == 0


def _outcome(problems: list[str], lines: list[str], users: list[User], traffic: Traffic, opts: Options) -> Outcome:
    head = (
        f"{_store_name(opts.store)} x {opts.workers} worker(s), {opts.users} users, {opts.seconds:g} s, "
        f"{traffic.requests} requests, "
        f"{sum(len(u.expected()) for u in users)} variations, rate limit {opts.rate_limit}/min"
    )
    if problems:
        return Outcome(False, f"LOAD FAIL {head}: {len(problems)} problems; first: {problems[0]}", problems, lines)
    return Outcome(
        True,
        f"LOAD PASS {head}: no 5xx, credits exact, every image_result once per stream, "
        "one successful webhook per variation, tasks and memory bounded",
        problems,
        lines,
    )


def _store_name(store: str) -> str:
    return "memory store" if store == "memory" else "Redis store"


def store_problem(opts: Options) -> str | None:
    """What is wrong with ``--store`` / ``--workers`` / ``--profile`` together, said before anything starts."""
    if opts.store not in ("memory", "redis") and not opts.store.startswith(("redis://", "rediss://", "unix://")):
        return f"--store: memory, redis or a redis:// URL, not {opts.store!r}"
    if opts.store == "memory" and opts.workers > 1:
        return "--workers N > 1 needs a shared store: --store redis (or redis://HOST:PORT/DB)"
    if opts.store == "redis" and shutil.which("redis-server") is None:
        return "--store redis starts a redis-server, which is not on PATH (apt-get install redis-server)"
    if opts.workers > 1 and opts.profile:
        return "--profile profiles one server process: use it with --workers 1"
    return None


@contextlib.contextmanager
def _store_args(opts: Options) -> Iterator[list[str]]:
    """The server's ``--store`` arguments; ``redis`` alone starts a throwaway redis-server for the run."""
    problem = store_problem(opts)
    if problem:
        raise ValueError(problem)
    if opts.store == "memory":
        yield []
        return
    if opts.store == "redis":
        from mock_server.testing import RedisServer

        with RedisServer() as server:
            yield ["--store", server.url]
        return
    # A Redis of the user's: a prefix of this run's own, so it meets no other mock's keys.
    yield ["--store", opts.store, "--store-prefix", f"piktid-mock-load-{os.getpid()}-{int(time.time())}:"]


def run(opts: Options, say: Callable[[str], None] = print) -> Outcome:
    """Start the server, run the load, check; the ``Outcome`` has the verdict line and every problem."""
    with _store_args(opts) as store:
        return _run_on(opts, store, say)


def _run_on(opts: Options, store: list[str], say: Callable[[str], None]) -> Outcome:
    args = [
        "mock",
        "--stats",
        "--latency",
        str(opts.latency),
        "--webhook-backoff",
        str(opts.backoff),
        "--webhook-attempts",
        str(opts.attempts),
        "--rate-limit",
        str(opts.rate_limit),
        *(["--profile", opts.profile] if opts.profile else []),
        *store,
    ]
    with ServerProcess(args, workers=opts.workers) as server:
        say(
            f"load: {opts.users} users x {opts.concurrency} concurrent workers for {opts.seconds:g} s against "
            f"{server.url}, {_store_name(opts.store)}, {opts.workers} server worker process(es) "
            f"(latency {opts.latency:g} s, webhook backoff {opts.backoff:g} s x {opts.attempts} attempts)"
        )
        outcome = asyncio.run(_run(opts, server))
        log = server.log()
    if "Traceback" in log:
        outcome.problems.append("the server logged a traceback: " + log[log.index("Traceback") :][:500])
        outcome.passed = False
        outcome.verdict = outcome.verdict.replace("LOAD PASS", "LOAD FAIL", 1)
    return outcome


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    defaults = Options()
    parser.add_argument("--seconds", type=float, default=defaults.seconds, help="how long the load runs")
    parser.add_argument("--users", type=int, default=defaults.users)
    parser.add_argument(
        "--concurrency", type=int, default=defaults.concurrency, help="concurrent client workers per user"
    )
    parser.add_argument(
        "--store",
        default=defaults.store,
        help="memory, redis (a throwaway redis-server on loopback) or redis://HOST:PORT/DB",
    )
    parser.add_argument(
        "--workers", type=int, default=defaults.workers, help="server worker processes (> 1 needs a Redis --store)"
    )
    parser.add_argument("--latency", type=float, default=defaults.latency, help="seconds per variation")
    parser.add_argument("--max-requests", type=int, default=defaults.max_requests, help="stop after this many")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=defaults.rate_limit,
        help="generations per minute per user in the load server (documented: 15)",
    )
    parser.add_argument("--profile", help="write the server's cProfile stats to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    skip_missing_sniffio()
    opts = Options(
        seconds=a.seconds,
        users=a.users,
        concurrency=a.concurrency,
        store=a.store,
        workers=a.workers,
        latency=a.latency,
        max_requests=a.max_requests,
        seed=a.seed,
        rate_limit=a.rate_limit,
        profile=a.profile,
    )
    problem = store_problem(opts)
    if problem:
        _parser().error(problem)
    outcome = run(opts)
    for line in outcome.lines:
        print(line)
    for problem in outcome.problems[:30]:
        print(f"  problem: {problem}")
    print(outcome.verdict)
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
