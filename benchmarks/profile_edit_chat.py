"""Where ``POST /edit-chat`` spends its time: ``python -m benchmarks.profile_edit_chat [--requests N] [--store redis]``.

cProfile over N requests driven in-process (``benchmarks.asgi.drive``: no server, no socket), so the
report is the app's own cost. It prints the share of own time per package, the mock's steps by
cumulative time, and the functions with the most own time. ``--store redis`` profiles the mock on a
throwaway ``redis-server`` (needs it on PATH), as the Redis benchmarks run it. cProfile inflates code that makes many
small calls, so read the shares as where to look, and time any change with ``make bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
from collections import defaultdict

from benchmarks._servers import mock_app
from benchmarks.asgi import drive

PACKAGES = ("mock_server", "piktid_spec", "sse_starlette", "starlette", "asyncio", "json", "anyio")


def _package(filename: str) -> str:
    return next((name for name in PACKAGES if f"/{name}/" in filename), "other")


def _shares(stats: pstats.Stats) -> list[str]:
    own: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]  # pstats keeps its table undeclared
        own[_package(filename)] += tottime
    total = sum(own.values())
    return [f"  {name:14} {100 * t / total:5.1f} %" for name, t in sorted(own.items(), key=lambda x: -x[1])]


def _steps(stats: pstats.Stats, requests: int, top: int) -> list[str]:
    """The mock's and the spec's functions by cumulative time, in microseconds per request."""
    rows = [
        (cumtime, f"{filename.rsplit('/', 2)[-2]}/{filename.rsplit('/', 1)[-1]}:{line}({name})")
        for (filename, line, name), (_, _, _, cumtime, _) in stats.stats.items()  # type: ignore[attr-defined]  # pstats keeps its table undeclared
        if "/mock_server/" in filename or "/piktid_spec/" in filename
    ]
    rows.sort(reverse=True)
    return [f"  {1e6 * t / requests:7.1f} us  {where}" for t, where in rows[:top]]


def profile(requests: int, top: int, store: str = "memory") -> str:
    """The report for ``requests`` POSTs on the memory store, or on a throwaway Redis (``store="redis"``)."""
    if store == "memory":
        return _profile(requests, top, mock_app())
    from mock_server.testing import RedisServer

    with RedisServer() as redis_server:
        return _profile(requests, top, mock_app(store=redis_server.url))


def _profile(requests: int, top: int, app: object) -> str:
    profiler = cProfile.Profile()
    asyncio.run(drive(app, 500))
    profiler.enable()
    asyncio.run(drive(app, requests))
    profiler.disable()
    stats = pstats.Stats(profiler)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return "\n".join(
        [
            f"{requests} POST /edit-chat in-process under cProfile; own time by package:",
            *_shares(stats),
            "mock_server and piktid_spec steps, cumulative (profiled) time per request:",
            *_steps(stats, requests, top),
            out.getvalue(),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.profile_edit_chat", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--store", choices=("memory", "redis"), default="memory")
    args = parser.parse_args(argv)
    print(profile(args.requests, args.top, args.store))


if __name__ == "__main__":
    main()
