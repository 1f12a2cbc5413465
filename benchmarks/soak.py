"""Soak: ``python -m benchmarks.soak [--seconds 120] [--retention 10]`` (``make soak``).

Mixed traffic at full speed against a ``serve``-like mock on loopback (uploads, generations,
results, status, notifications listed and deleted, thumbnails, bodies past the journal's body
limit, broken JSON, webhooks to a local receiver, a third of it flaky), with the retention
shortened so that many retention windows pass in the run and the journal capped low so that it
fills early. Then the checks: no 5xx and no traceback; memory flat once warm (the median RSS of the
last third of the samples against the first third's: bounded state levels off, a leak keeps
growing). It prints the projection of the server's memory for 24 h at 50 requests/s with the
default limits. Prints ``SOAK PASS ...`` or ``SOAK FAIL ...`` and exits 1 on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from benchmarks._load_generator import skip_missing_sniffio
from benchmarks._load_receiver import Receiver
from benchmarks._load_users import UPLOAD, Traffic, _timed
from benchmarks._servers import ServerProcess
from benchmarks._soak_projection import measure, project

MIB = 1024
"""KiB in a MiB (RSS is sampled in KiB)."""
FLAT_SLACK_KIB = 12 * 1024
"""What the last third's median RSS may exceed the first third's by (allocator noise, caches warming)."""
FLAT_SLACK_RATIO = 0.08
BIG_PROMPT = "x" * 40_000
"""A body past the journal's 16 KiB body limit (accepted: the prompt has no documented length bound)."""


@dataclass
class Options:
    seconds: float = 120.0
    users: int = 16
    workers: int = 3
    retention: float = 10.0
    journal_entries: int = 2_000
    latency: float = 0.05
    seed: int = 16


@dataclass
class Soaker:
    """One simulated user's recent jobs, uploads and notification ids (old ones are dropped by the mock)."""

    token: str
    jobs: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    notifications: list[int] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def recent(self, items: list[Any], rng: random.Random) -> Any:
        del items[:-50]
        return rng.choice(items) if items else None


async def _call(traffic: Traffic, what: str, call: Any, *codes: int) -> httpx.Response | None:
    response = await _timed(traffic, what, call)
    return response if response is not None and traffic.expect(what, response, *codes) else None


async def _upload(api: httpx.AsyncClient, user: Soaker, traffic: Traffic, rng: random.Random) -> None:
    r = await _call(traffic, "POST /upload", api.post("/upload", json={"filename": "f.jpg"}, headers=user.auth), 200)
    if r is None:
        return
    body = r.json()
    put = api.put(body["upload_url"], content=UPLOAD.read_bytes(), headers={"Content-Type": body["content_type"]})
    if await _call(traffic, "PUT upload_url", put, 200):
        user.files.append(body["file_id"])


async def _generate(api: httpx.AsyncClient, user: Soaker, traffic: Traffic, rng: random.Random) -> None:
    payload: dict[str, Any] = {"prompt": "soak", "size": rng.choice(("1K", "1K", "2K")), "num_variations": 2}
    file_id = user.recent(user.files, rng)
    if file_id and rng.random() < 0.3:
        payload["image_ids"] = [file_id]
    r = await _call(traffic, "POST /edit-chat", api.post("/edit-chat", json=payload, headers=user.auth), 202, 404)
    if r is not None and r.status_code == 202:
        user.jobs.append(r.json()["job_id"])


async def _read(api: httpx.AsyncClient, user: Soaker, traffic: Traffic, rng: random.Random) -> None:
    job = user.recent(user.jobs, rng)
    if job is None:
        return await _generate(api, user, traffic, rng)
    r = await _call(traffic, "GET results", api.get(f"/jobs/{job}/results", headers=user.auth), 200, 404)
    if r is not None and r.status_code == 200 and rng.random() < 0.2:
        links = [x["output"]["thumbnail"] for x in r.json()["results"] if x["output"]["thumbnail"]]
        if links:
            await _call(traffic, "GET thumbnail", api.get(links[0]), 200, 404)


async def _status(api: httpx.AsyncClient, user: Soaker, traffic: Traffic, rng: random.Random) -> None:
    job = user.recent(user.jobs, rng) or "job_none"
    await _call(traffic, "GET status", api.get(f"/jobs/{job}/status", headers=user.auth), 200, 404)


async def _notifications(api: httpx.AsyncClient, user: Soaker, traffic: Traffic, rng: random.Random) -> None:
    old = user.recent(user.notifications, rng)
    if old is not None and rng.random() < 0.5:
        user.notifications.remove(old)
        await _call(traffic, "DELETE notification", api.delete(f"/notifications/{old}", headers=user.auth), 200, 404)
        return
    r = await _call(traffic, "POST /notifications", api.post("/notifications", json={}, headers=user.auth), 200)
    if r is not None:
        user.notifications.extend(n["id"] for n in r.json()[-5:])


async def _hostile(api: httpx.AsyncClient, user: Soaker, traffic: Traffic, rng: random.Random) -> None:
    if rng.random() < 0.5:
        big = api.post("/edit-chat", json={"prompt": BIG_PROMPT, "size": "1K"}, headers=user.auth)
        await _call(traffic, "POST /edit-chat (big)", big, 202)
    else:
        broken = api.post("/edit-chat", content=b'{"prompt": "a \\ud800"', headers=user.auth)
        await _call(traffic, "POST /edit-chat (broken)", broken, 400)


ACTIONS: list[tuple[float, Callable[..., Any]]] = [
    (0.25, _generate),
    (0.30, _read),
    (0.10, _status),
    (0.15, _notifications),
    (0.10, _upload),
    (0.10, _hostile),
]


async def _work(api: httpx.AsyncClient, user: Soaker, traffic: Traffic, rng: random.Random, deadline: float) -> None:
    weights = [w for w, _ in ACTIONS]
    while time.monotonic() < deadline:
        [action] = rng.choices([a for _, a in ACTIONS], weights)
        await action(api, user, traffic, rng)


async def _stats(api: httpx.AsyncClient) -> dict[str, Any]:
    return (await api.get("/_bench/stats")).raise_for_status().json()


async def _sample(api: httpx.AsyncClient, traffic: Traffic, samples: list[dict[str, Any]], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append({"at": time.monotonic(), "requests": traffic.requests, **await _stats(api)})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


@dataclass
class Outcome:
    passed: bool
    verdict: str
    lines: list[str]
    problems: list[str]


def flatness(samples: list[dict[str, Any]], retention: float) -> tuple[float, float, int]:
    """(first third's median RSS, last third's, samples used) once warm: after three retentions or a fifth
    of the run, but never later than half of it (a short run still compares two thirds of something)."""
    start = samples[0]["at"]
    length = samples[-1]["at"] - start
    warm = min(max(3 * retention, 0.2 * length), 0.5 * length)
    used = [s["rss_kib"] for s in samples if s["at"] - start >= warm]
    used = used or [samples[-1]["rss_kib"]]
    third = max(1, len(used) // 3)
    return statistics.median(used[:third]), statistics.median(used[-third:]), len(used)


async def _run(opts: Options, server: ServerProcess) -> tuple[list[dict[str, Any]], Traffic, float, float]:
    rng = random.Random(opts.seed)
    users = [Soaker(f"soak-user-{i:02d}") for i in range(opts.users)]
    receiver = Receiver({u.token for u in users[::3]}, random.Random(rng.random()))
    await receiver.start()
    limits = httpx.Limits(max_connections=opts.users * opts.workers + 8, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30.0) as api:
        baseline = float((await _stats(api))["rss_kib"])
        for user in users:
            (
                await api.put("/webhooks", json={"url": receiver.url_for(user.token)}, headers=user.auth)
            ).raise_for_status()
        traffic, stop = Traffic(), asyncio.Event()
        samples: list[dict[str, Any]] = []
        sampler = asyncio.create_task(_sample(api, traffic, samples, stop))
        deadline, started = time.monotonic() + opts.seconds, time.perf_counter()
        await asyncio.gather(
            *(_work(api, u, traffic, random.Random(rng.random()), deadline) for u in users for _ in range(opts.workers))
        )
        elapsed = time.perf_counter() - started
        stop.set()
        await sampler
    await receiver.stop()
    return samples, traffic, elapsed, baseline


def _trend(samples: list[dict[str, Any]]) -> str:
    return " -> ".join(f"{s['rss_kib'] // MIB}" for s in samples[:: max(1, len(samples) // 8)])


def _verdict(opts: Options, samples: list[dict[str, Any]], traffic: Traffic, elapsed: float, base: float) -> Outcome:
    rate = traffic.requests / elapsed
    first, last, used = flatness(samples, opts.retention)
    problems = [f"{n} answers were {code}" for code, n in sorted(traffic.statuses.items()) if code >= 500]
    problems += [f"unexpected: {u}" for u in traffic.unexpected[:5]]
    problems += [f"transport: {t}" for t in traffic.transport_errors[:5]]
    if last - first > max(FLAT_SLACK_KIB, FLAT_SLACK_RATIO * first):
        problems.append(f"RSS grew from {first / MIB:.0f} to {last / MIB:.0f} MiB between the first and last third")
    total, how = project(samples[-max(1, len(samples) // 3) :], rate, opts.retention, measure())
    end = samples[-1]
    lines = [
        f"requests: {traffic.requests} in {elapsed:.0f} s ({rate:.0f}/s); "
        f"statuses {dict(sorted(traffic.statuses.items()))}",
        f"RSS once warm ({used} samples): first third {first / MIB:.1f} MiB, last third {last / MIB:.1f} MiB; "
        f"over the run {_trend(samples)} MiB",
        f"held at the end: {end['jobs']} jobs, {end['notifications']} notifications, {end['deliveries']} deliveries, "
        f"{end['files']} files ({end['upload_bytes'] // 1024} KiB), {end['journal']} journal entries",
        f"projected for 24 h at 50 req/s of this mix with the default limits: {total / MIB:.0f} MiB ({how})",
        f"idle baseline before the soak: {base / MIB:.0f} MiB",
    ]
    head = f"{opts.seconds:g} s, {traffic.requests} requests, retention {opts.retention:g} s"
    if problems:
        return Outcome(False, f"SOAK FAIL {head}: {problems[0]}", lines, problems)
    return Outcome(True, f"SOAK PASS {head}: no 5xx, memory flat once warm", lines, problems)


def run(opts: Options, say: Callable[[str], None] = print) -> Outcome:
    """Start the server, soak it, check."""
    args = ["mock", "--stats", "--latency", str(opts.latency), "--webhook-backoff", "0.2"]
    args += ["--retention", str(opts.retention), "--journal-max-entries", str(opts.journal_entries)]
    with ServerProcess(args) as server:
        say(f"soak: {opts.users} users x {opts.workers} workers for {opts.seconds:g} s against {server.url}")
        samples, traffic, elapsed, baseline = asyncio.run(_run(opts, server))
        log = server.log()
    outcome = _verdict(opts, samples, traffic, elapsed, baseline)
    if "Traceback" in log:
        outcome.problems.append("the server logged a traceback: " + log[log.index("Traceback") :][:500])
        outcome.passed, outcome.verdict = False, outcome.verdict.replace("SOAK PASS", "SOAK FAIL", 1)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0])
    defaults = Options()
    parser.add_argument("--seconds", type=float, default=defaults.seconds, help="how long the traffic runs")
    parser.add_argument("--retention", type=float, default=defaults.retention, help="the server's retention (s)")
    parser.add_argument("--users", type=int, default=defaults.users)
    a = parser.parse_args(argv)
    skip_missing_sniffio()
    outcome = run(Options(seconds=a.seconds, retention=a.retention, users=a.users))
    for line in outcome.lines + [f"  problem: {p}" for p in outcome.problems[:20]]:
        print(line)
    print(outcome.verdict)
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
