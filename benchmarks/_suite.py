"""The benchmark suite: each entry's function, its full size, and the smallest size that still runs it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks._figures import Figure
from benchmarks.asgi import asgi_cost
from benchmarks.bridge import respx_bridge
from benchmarks.cold_start import cold_start
from benchmarks.http_throughput import http_throughput
from benchmarks.memory import concurrent_renders, jobs_memory, render_4k
from benchmarks.pytest_suite import pytest_suite
from benchmarks.redis_throughput import redis_throughput
from benchmarks.sse_fanout import sse_fanout
from benchmarks.validation import validation


@dataclass(frozen=True, slots=True)
class Benchmark:
    """One benchmark of the suite: its name, the function that measures, and its full and smoke sizes."""

    name: str
    run: Callable[..., list[Figure]]
    full: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of ``make bench`` (the published figures)."""
    smoke: dict[str, Any] = field(default_factory=dict)
    """The smallest sizes: enough to prove the benchmark runs and reports well-formed figures."""
    needs: tuple[str, ...] = ()
    """Outside programs it runs (``redis-server``): without one it is skipped, in ``make bench`` and in tests."""


SUITE: list[Benchmark] = [
    Benchmark(
        "http",
        http_throughput,
        {"seconds": 5.0, "rounds": 3},
        {"seconds": 1.0, "rounds": 1, "requests": 20, "connections": 4, "generator": "python"},
    ),
    Benchmark(
        "redis",
        redis_throughput,
        {"seconds": 5.0, "rounds": 3},
        {"seconds": 1.0, "rounds": 1, "requests": 20, "connections": 4, "generator": "python"},
        needs=("redis-server",),
    ),
    Benchmark("asgi", asgi_cost, {"requests": 5000}, {"requests": 20}),
    Benchmark("bridge", respx_bridge, {"calls": 2000, "rounds": 5}, {"calls": 20, "rounds": 1}),
    Benchmark("pytest-suite", pytest_suite, {"tests": 200, "rounds": 5}, {"tests": 3, "rounds": 1}),
    Benchmark("cold-start", cold_start, {"repeats": 3}, {"repeats": 1}),
    Benchmark("sse", sse_fanout, {"streams": 100, "rounds": 5}, {"streams": 3, "rounds": 1}),
    Benchmark("render", render_4k, {"repeats": 3}, {"repeats": 1}),
    Benchmark("render-concurrency", concurrent_renders, {"renders": 8, "side": 7000}, {"renders": 2, "side": 3072}),
    Benchmark("jobs-memory", jobs_memory, {"jobs": 10_000}, {"jobs": 20}),
    Benchmark("validation", validation, {"calls": 50_000, "sample_size": 200}, {"calls": 20, "sample_size": 5}),
]
"""Every benchmark ``python -m benchmarks`` runs, in order."""
