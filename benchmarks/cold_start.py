"""Cold start: ``piktid-mock serve`` to its first 200 (vs a bare Starlette app on uvicorn), and
``import piktid_spec`` in a fresh interpreter (vs ``import json``), checking hypothesis stays out.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections.abc import Callable

from benchmarks._figures import Figure
from benchmarks._servers import ServerProcess, child_env, free_port

_IMPORT_PROBE = """
import sys, time
t = time.perf_counter()
import {module}
print(time.perf_counter() - t, "hypothesis" in sys.modules)
"""


def import_seconds(module: str) -> tuple[float, bool]:
    """Seconds to import ``module`` in a fresh interpreter, and whether hypothesis came with it."""
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE.format(module=module)],
        check=True,
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
    ).stdout.split()
    return float(out[0]), out[1] == "True"


def serve_seconds() -> float:
    """Seconds from spawning ``python -m mock_server serve`` to its first 200 (``GET /identity``)."""
    port = free_port()
    command = [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--latency", "0"]
    with ServerProcess([], command=command, port=port) as server:
        return server.startup


def bare_seconds() -> float:
    with ServerProcess(["bare"]) as server:
        return server.startup


def cold_start(*, repeats: int = 3, say: Callable[[str], None] = print) -> list[Figure]:
    """Medians of ``repeats`` fresh starts each. Raises if ``import piktid_spec`` pulls in hypothesis."""
    serve = statistics.median(serve_seconds() for _ in range(repeats))
    bare = statistics.median(bare_seconds() for _ in range(repeats))
    spec_runs = [import_seconds("piktid_spec") for _ in range(repeats)]
    if any(hypothesis for _, hypothesis in spec_runs):
        raise RuntimeError("import piktid_spec imported hypothesis: the spec must stay free of it")
    spec = statistics.median(t for t, _ in spec_runs)
    json_ = statistics.median(import_seconds("json")[0] for _ in range(repeats))
    say(f"cold start: serve {serve * 1000:.0f} ms, import piktid_spec {spec * 1000:.1f} ms (hypothesis not imported)")
    return [
        Figure(
            "piktid-mock serve to first 200",
            serve * 1000,
            "ms",
            bare * 1000,
            "bare Starlette on uvicorn",
            higher_is_better=False,
            note=f"median of {repeats} fresh processes, interpreter start included",
        ),
        Figure(
            "import piktid_spec",
            spec * 1000,
            "ms",
            json_ * 1000,
            "import json",
            higher_is_better=False,
            note="fresh interpreter; checked that hypothesis is not imported",
        ),
    ]
