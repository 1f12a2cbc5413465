"""Render cost of a 4K output (time and peak memory, vs 1K) and memory held per 10 000 finished jobs.

Pillow allocates pixels outside Python's allocator, where ``tracemalloc`` cannot see them, so a
render's peak memory is the peak RSS (``ru_maxrss``) of a fresh process that rendered it, with its
growth over that process before the render and ``tracemalloc``'s Python-heap peak beside it. Job state is
plain Python objects, so ``tracemalloc`` measures it exactly.
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._figures import Figure
from benchmarks._servers import BENCH_CREDITS, BENCH_RATE_LIMIT, child_env

MIB = 1024 * 1024
_RENDER_PROBE = "from benchmarks.memory import render_probe; render_probe({size!r}, {repeats})"
_CONCURRENT_PROBE = "from benchmarks.memory import concurrent_probe; concurrent_probe({renders}, {side}, {limit})"


def render_probe(size_label: str, repeats: int) -> None:
    """Run in a fresh process: prints the JSON of one render's time and memory at ``size_label``."""
    import time

    from mock_server.backend import RenderSpec, render_png
    from piktid_spec import SIZE_BASE

    side = SIZE_BASE[size_label]
    spec = RenderSpec("job_bench", 0, 0, "a red bicycle leaning on a wall", "nano_banana_2", size_label, side, side)
    render_png(spec, (64, 64))
    before = _reset_peak_rss_kib()
    tracemalloc.start()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        data = render_png(spec, (side, side))
        times.append(time.perf_counter() - started)
    heap_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    peak = _peak_rss_kib()
    print(
        json.dumps(
            {
                "seconds": min(times),
                "rss_peak_kib": peak,
                "rss_grown_kib": peak - before,
                "heap_peak": heap_peak,
                "png_bytes": len(data),
            }
        )
    )


def _render(size_label: str, repeats: int) -> dict[str, Any]:
    code = _RENDER_PROBE.format(size=size_label, repeats=repeats)
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=child_env(), timeout=300
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def render_4k(*, repeats: int = 3, say: Callable[[str], None] = print) -> list[Figure]:
    """Time and peak memory of rendering a 4K output, vs a 1K one, each in a fresh process."""
    big, small = _render("4K", repeats), _render("1K", repeats)
    say(f"4K render {big['seconds'] * 1000:.0f} ms, {big['png_bytes'] / MIB:.1f} MiB PNG")
    return [
        Figure(
            "4K render time",
            big["seconds"] * 1000,
            "ms",
            small["seconds"] * 1000,
            "1K render",
            higher_is_better=False,
            note=f"best of {repeats}; drawn at <= 1536 px and scaled, PNG level 1",
        ),
        Figure(
            "4K render peak memory",
            big["rss_peak_kib"] / 1024,
            "MiB",
            small["rss_peak_kib"] / 1024,
            "1K render",
            higher_is_better=False,
            note=f"peak RSS of a fresh process that rendered it: +{big['rss_grown_kib'] / 1024:.0f} MiB over "
            f"the same process before (1K: +{small['rss_grown_kib'] / 1024:.0f} MiB); Python heap peak "
            f"{big['heap_peak'] / MIB:.1f} MiB (1K: {small['heap_peak'] / MIB:.1f} MiB)",
        ),
    ]


def concurrent_probe(renders: int, side: int, limit: int) -> None:
    """Run in a fresh process: ``renders`` side x side outputs downloaded at once through the app with
    ``render_concurrency=limit``; prints the JSON of the peak RSS growth and the seconds it took."""
    import asyncio
    import time

    import httpx

    from mock_server import Backend, Settings, create_app

    async def main() -> dict[str, float]:
        backend = Backend(Settings(clock="manual", latency=1.0, render_concurrency=limit))
        transport = httpx.ASGITransport(create_app(backend=backend))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
            links = await _big_outputs(client, backend, renders, side)
            before = _reset_peak_rss_kib()
            started = time.perf_counter()
            answers = await asyncio.gather(*(client.get(link) for link in links))
            seconds = time.perf_counter() - started
        if any(a.status_code != 200 for a in answers):
            raise RuntimeError("an output download failed")
        grown = _peak_rss_kib() - before
        return {"rss_grown_kib": grown, "seconds": seconds}

    print(json.dumps(asyncio.run(main())))


def _status_kib(field: str) -> int | None:
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in lines if line.startswith(f"{field}:")), None)


def _reset_peak_rss_kib() -> int:
    """Start a new peak at today's RSS (Linux: ``clear_refs`` 5) and return that RSS in KiB.

    Without the reset, an earlier high-water mark of the process (start-up, the jobs' set-up) can hide
    the downloads' peak entirely; where it is unavailable, the lifetime peak is the baseline."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return _status_kib("VmRSS") or 0


def _peak_rss_kib() -> int:
    return _status_kib("VmHWM") or int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


async def _big_outputs(client: Any, backend: Any, renders: int, side: int) -> list[str]:
    """The full-size output links of ``renders`` finished custom side x side jobs."""
    auth = {"Authorization": "Bearer bench-renders"}
    payload = {"size": "4K", "output_mode": "custom", "width": side, "height": side}
    jobs = []
    for i in range(renders):
        answer = await client.post("/edit-chat", headers=auth, json={"prompt": f"render {i}", **payload})
        jobs.append(answer.raise_for_status().json()["job_id"])
    backend.advance(2.0)
    links = []
    for job in jobs:
        results = (await client.get(f"/jobs/{job}/results", headers=auth)).raise_for_status().json()
        links.append(results["results"][0]["output"]["full_size"])
    return links


def _concurrent(renders: int, side: int, limit: int) -> dict[str, Any]:
    code = _CONCURRENT_PROBE.format(renders=renders, side=side, limit=limit)
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=child_env(), timeout=600
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def concurrent_renders(
    *, renders: int = 8, side: int = 7000, limit: int = 2, say: Callable[[str], None] = print
) -> list[Figure]:
    """Peak memory of ``renders`` big outputs downloaded at once, bounded (``limit``) vs unbounded."""
    bounded, unbounded = _concurrent(renders, side, limit), _concurrent(renders, side, renders)
    say(
        f"{renders} x {side}x{side} at once: +{bounded['rss_grown_kib'] / 1024:.0f} MiB in {bounded['seconds']:.1f} s "
        f"with render_concurrency {limit}, +{unbounded['rss_grown_kib'] / 1024:.0f} MiB in "
        f"{unbounded['seconds']:.1f} s with {renders}"
    )
    return [
        Figure(
            f"peak memory of {renders} concurrent {side}x{side} renders",
            bounded["rss_grown_kib"] / 1024,
            "MiB",
            unbounded["rss_grown_kib"] / 1024,
            f"render_concurrency {renders}",
            higher_is_better=False,
            note=f"peak RSS growth of a fresh process downloading them through the app, render_concurrency "
            f"{limit}; {bounded['seconds']:.1f} s vs {unbounded['seconds']:.1f} s for all",
        )
    ]


def _finished_jobs(count: int) -> Any:
    """A Backend on a manual clock holding ``count`` finished one-variation 1K jobs of one user."""
    from mock_server import Backend, Settings

    backend = Backend(Settings(clock="manual", latency=1.0, rate_limit=BENCH_RATE_LIMIT, open_credits=BENCH_CREDITS))
    user = backend.authenticate("bench-memory")
    payload = {"prompt": "a red bicycle leaning on a wall", "size": "1K"}
    for i in range(count):
        backend.edit_chat(user, payload, "http://127.0.0.1:8000")
        if i % 1000 == 999:
            backend.advance(2.0)
    backend.advance(2.0)
    counts = backend.counts()
    if counts["jobs"] != count or counts["scheduled"]:
        raise RuntimeError("the memory benchmark's jobs did not all finish")
    return backend


def _traced(build: Callable[[], Any]) -> tuple[int, Any]:
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    kept = build()
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - start
    tracemalloc.stop()
    return held, kept


def jobs_memory(*, jobs: int = 10_000, say: Callable[[str], None] = print) -> list[Figure]:
    """Python heap held per finished job, measured over ``jobs`` jobs with ``tracemalloc``."""
    from mock_server import Backend, Settings

    empty, _ = _traced(lambda: Backend(Settings(clock="manual")))
    full, backend = _traced(lambda: _finished_jobs(jobs))
    notifications = backend.counts()["notifications"]
    say(f"{jobs} finished jobs hold {full / MIB:.1f} MiB ({full / jobs / 1024:.1f} KiB per job)")
    return [
        Figure(
            f"memory of {jobs:,} finished jobs",
            full / MIB,
            "MiB",
            empty / MIB,
            "empty backend",
            higher_is_better=False,
            note=f"{full / jobs / 1024:.2f} KiB per job incl. its {notifications // jobs} notifications "
            "(tracemalloc; kept until reset)",
        )
    ]
