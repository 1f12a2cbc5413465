"""Throughput and latency of ``POST /edit-chat`` and ``GET /jobs/{id}/results`` through uvicorn,
against a bare Starlette endpoint answering the same bytes (the stack's ceiling), same generator.

Target (issue 17): mock/bare throughput >= 0.8. Both servers run as subprocesses side by side (one idles while
the other is measured) and are measured in turn, round after round; the best round of each counts,
which damps noise from other work on the machine.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks._figures import Figure
from benchmarks._load_generator import Load, ensure_wrk, run_python, run_wrk
from benchmarks._servers import ServerProcess, rss_kib

TOKEN = "bench-user"
PAYLOAD: dict[str, Any] = {
    "prompt": "A bottle of amber perfume half-submerged in a calm ocean at sunset, photorealistic.",
    "size": "1K",
    "num_variations": 1,
}
TARGET = 0.8
Runner = Callable[[str, str, Path | None], Load]
"""Runs one load: (url, method, body file) -> what it measured."""


def _sample_bodies(url: str) -> tuple[Any, Any, str]:
    """The mock's real answers (202 body, a finished job's results) for the bare server to repeat."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10.0) as client:
        accepted = client.post("/edit-chat", json=PAYLOAD)
        accepted.raise_for_status()
        job_id = accepted.json()["job_id"]
        for _ in range(200):
            results = client.get(f"/jobs/{job_id}/results").json()
            if results["summary"]["processing"] == 0:
                return accepted.json(), results, job_id
    raise RuntimeError("the benchmark job did not finish (latency 0 should finish it at once)")


def _runner(
    generator: str, seconds: float, connections: int, requests: int | None, say: Callable[[str], None]
) -> Runner:
    wrk = ensure_wrk(say=say) if generator in ("auto", "wrk") else None
    if generator == "wrk" and wrk is None:
        raise RuntimeError("wrk was asked for and is not available")
    if wrk is not None:
        return lambda url, method, body: run_wrk(
            wrk, url, method, body, TOKEN, seconds=seconds, connections=connections
        )
    say(
        "load generator: in-Python (httpx in a separate process); it may be the bottleneck, "
        "so compare the ratio, not the absolute figures"
    )
    return lambda url, method, body: run_python(
        url,
        method,
        body.read_bytes() if body else None,
        TOKEN,
        seconds=seconds,
        requests=requests,
        connections=connections,
        processes=1,
    )


def _figures(label: str, mock: Load, bare: Load, gc_note: str) -> list[Figure]:
    base = "bare Starlette"
    return [
        Figure(
            f"{label} throughput",
            mock.rps,
            "req/s",
            bare.rps,
            base,
            target=TARGET,
            note=f"{mock.generator}, {mock.requests} requests in {mock.seconds:.1f} s, "
            f"{mock.failures} failures (bare: {bare.failures})",
        ),
        Figure(f"{label} p50 latency", mock.p50_ms, "ms", bare.p50_ms, base, higher_is_better=False),
        Figure(f"{label} p99 latency", mock.p99_ms, "ms", bare.p99_ms, base, higher_is_better=False, note=gc_note),
    ]


def _gc_note(url: str) -> str:
    """The mock's garbage-collector pauses over the whole run (its stats endpoint times them)."""
    gc = httpx.get(url + "/_bench/stats", timeout=10.0).raise_for_status().json()["gc"]
    return (
        f"mock's cyclic GC over all runs: {gc['runs'][2]} full collections, longest pause "
        f"{gc['longest'] * 1000:.0f} ms, {sum(gc['seconds']):.2f} s in all"
    )


def _write_bodies(tmp: str, post_body: Any, get_body: Any) -> dict[str, Path]:
    files = {name: Path(tmp, name) for name in ("payload.json", "post.json", "get.json")}
    for name, body in zip(files, (PAYLOAD, post_body, get_body), strict=True):
        files[name].write_text(json.dumps(body))
    return files


def _measure(
    run: Runner, targets: dict[str, str], endpoints: dict[str, tuple[str, str, Path | None]], rounds: int
) -> dict[tuple[str, str], Load]:
    """Every (endpoint, server) pair measured in turn, ``rounds`` times; the best round of each."""
    runs: dict[tuple[str, str], list[Load]] = {(e, t): [] for e in endpoints for t in targets}
    for _ in range(rounds):
        for label, (path, method, body) in endpoints.items():
            for name, url in targets.items():
                runs[(label, name)].append(run(url + path, method, body))
    return {key: max(loads, key=lambda r: r.rps) for key, loads in runs.items()}


def _memory_figure(rss: dict[str, int], grown: dict[str, int], jobs: int) -> Figure:
    return Figure(
        "server RSS after the load",
        rss["mock"] / 1024,
        "MiB",
        rss["bare"] / 1024,
        "bare Starlette",
        higher_is_better=False,
        note=f"grew {grown['mock'] / 1024:.0f} MiB (bare: {grown['bare'] / 1024:.1f}): the mock keeps every "
        f"job ({jobs} created here), its notifications and a 100k-entry journal, so growth is "
        "expected and bounded by the work done",
    )


def http_throughput(
    *,
    seconds: float = 5.0,
    rounds: int = 3,
    connections: int = 32,
    generator: str = "auto",
    requests: int | None = None,
    say: Callable[[str], None] = print,
) -> list[Figure]:
    """Figures for both endpoints; ``generator`` is auto | wrk | python (``requests`` bounds python runs)."""
    run = _runner(generator, seconds, connections, requests, say)
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(["mock", "--stats"]) as mock:
        post_body, get_body, job_id = _sample_bodies(mock.url)
        files = _write_bodies(tmp, post_body, get_body)
        with ServerProcess(
            ["bare", "--post-body", str(files["post.json"]), "--get-body", str(files["get.json"])]
        ) as bare:
            pids = {"mock": mock.pid, "bare": bare.pid}
            before = {name: rss_kib(pid) for name, pid in pids.items()}
            endpoints = {
                "POST /edit-chat": ("/edit-chat", "POST", files["payload.json"]),
                "GET /jobs/{id}/results": (f"/jobs/{job_id}/results", "GET", None),
            }
            best = _measure(run, {"mock": mock.url, "bare": bare.url}, endpoints, rounds)
            rss = {name: rss_kib(pid) for name, pid in pids.items()}
        gc_note = _gc_note(mock.url)
    jobs = best[("POST /edit-chat", "mock")].requests * rounds
    say(f"mock RSS grew {(rss['mock'] - before['mock']) / 1024:.1f} MiB while it took about {jobs} jobs")
    figures = [f for label in endpoints for f in _figures(label, best[(label, "mock")], best[(label, "bare")], gc_note)]
    return [*figures, _memory_figure(rss, {name: rss[name] - before[name] for name in rss}, jobs)]
