"""Benchmarks of piktid-mock: every figure beside a baseline measured in the same run.

``python -m benchmarks`` (``make bench``) runs them all, prints a table and writes
``benchmarks/results.json``; ``python -m benchmarks.load`` (``make load``) runs the load and soak test.
"""

from benchmarks._figures import Figure, table, write_results
from benchmarks._suite import SUITE, Benchmark
from benchmarks.asgi import asgi_cost
from benchmarks.bridge import respx_bridge
from benchmarks.cold_start import cold_start
from benchmarks.http_throughput import http_throughput
from benchmarks.memory import jobs_memory, render_4k
from benchmarks.sse_fanout import sse_fanout
from benchmarks.validation import validation

__all__ = [
    "SUITE",
    "Benchmark",
    "Figure",
    "asgi_cost",
    "cold_start",
    "http_throughput",
    "jobs_memory",
    "render_4k",
    "respx_bridge",
    "sse_fanout",
    "table",
    "validation",
    "write_results",
]
