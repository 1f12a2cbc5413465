"""HTTP load for the throughput benchmark: ``wrk`` when present (installed on demand as root),
else an in-Python generator (httpx, many connections, in separate processes) that says it is one.

Both report the same ``Load`` so a figure and its baseline are always measured by the same tool.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

LUA_SCRIPT = Path(__file__).with_name("request.lua")
APT_TIMEOUT = 600


@dataclass(frozen=True, slots=True)
class Load:
    """What one load run measured. Latencies in milliseconds; ``failures`` = errors + non-2xx answers."""

    generator: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def skip_missing_sniffio() -> None:
    """Make httpcore's per-request ``import sniffio`` instant when sniffio is not installed.

    httpcore (1.0) tries that import several times per async request; a module that is not there
    is searched for on all of sys.path each time (~50 us apiece). Marking it absent in
    ``sys.modules`` keeps the ImportError and drops the search. Only for our own load clients: the
    measured server keeps whatever cost its users' processes have.
    """
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]  # None is how sys.modules marks "not importable"


def ensure_wrk(*, install: bool = True, say: Callable[[str], None] = print) -> str | None:
    """The path of ``wrk``; as root with apt-get, installs it first (``apt-get update`` then install)."""
    found = shutil.which("wrk")
    if found or not install:
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        say("wrk not found and cannot be installed here (not root or no apt-get)")
        return None
    say("wrk not found: running apt-get update && apt-get install -y wrk")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=APT_TIMEOUT)
        except (subprocess.SubprocessError, OSError) as exc:
            say(f"installing wrk failed ({type(exc).__name__}): falling back to the Python load generator")
            return None
    return shutil.which("wrk")


def run_wrk(
    wrk: str,
    url: str,
    method: str,
    body_file: Path | None,
    token: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
) -> Load:
    """One ``wrk`` run against ``url`` with ``request.lua`` (the POST body read from ``body_file``)."""
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_SCRIPT),
        url,
        "--",
        method,
        str(body_file) if body_file else "-",
        token,
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next((x for x in out.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary: {out[-1000:]}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    errors = sum(data["errors"].values())
    return Load(
        "wrk", data["requests"], data["duration_us"] / 1e6, data["p50_us"] / 1000, data["p99_us"] / 1000, errors
    )


def run_python(
    url: str,
    method: str,
    body: bytes | None,
    token: str,
    *,
    seconds: float | None = None,
    requests: int | None = None,
    connections: int = 32,
    processes: int = 1,
) -> Load:
    """Load from ``processes`` worker processes, each with ``connections`` concurrent httpx requests.

    Stops after ``seconds`` or once ``requests`` in all were sent, whichever is given (both: first hit).
    """
    share = None if requests is None else max(1, requests // processes)
    jobs = [(url, method, body, token, seconds, share, max(1, connections // processes))] * processes
    started = time.perf_counter()
    if processes == 1:
        parts = [_worker(*jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            parts = pool.starmap(_worker, jobs)
    elapsed = max(p[2] for p in parts) if parts else time.perf_counter() - started
    latencies = sorted(x for p in parts for x in p[0])
    return Load(
        "python-httpx",
        len(latencies),
        elapsed,
        _percentile(latencies, 50),
        _percentile(latencies, 99),
        sum(p[1] for p in parts),
    )


def _percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def _worker(
    url: str, method: str, body: bytes | None, token: str, seconds: float | None, requests: int | None, connections: int
) -> tuple[list[float], int, float]:
    skip_missing_sniffio()
    return asyncio.run(_drive(url, method, body, token, seconds, requests, connections))


async def _drive(
    url: str, method: str, body: bytes | None, token: str, seconds: float | None, requests: int | None, connections: int
) -> tuple[list[float], int, float]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    deadline = time.perf_counter() + (seconds if seconds is not None else 3600.0)
    budget = [requests if requests is not None else 1 << 62]
    latencies: list[float] = []
    failures = [0]
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:

        async def one_connection() -> None:
            while budget[0] > 0 and time.perf_counter() < deadline:
                budget[0] -= 1
                t0 = time.perf_counter()
                try:
                    response = await client.request(method, url, content=body, headers=headers)
                    ok = 200 <= response.status_code < 300
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - t0) * 1000)
                failures[0] += not ok

        await asyncio.gather(*(one_connection() for _ in range(connections)))
    return latencies, failures[0], time.perf_counter() - started
