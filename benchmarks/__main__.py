"""``python -m benchmarks [--only NAME ...] [--smoke] [--generator auto|wrk|python] [--http P] [--output FILE]``.

Prints the table and writes the JSON; exits 1 if a benchmark crashed (a missed target is reported,
not fatal: the figures are the deliverable).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

from benchmarks._figures import Figure, machine, table, write_results
from benchmarks._servers import HTTP_VARIABLE
from benchmarks._suite import SUITE
from mock_server.server_limits import DEFAULT_LIMITS

RESULTS = Path(__file__).with_name("results.json")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=[b.name for b in SUITE], help="run only these benchmarks")
    parser.add_argument(
        "--smoke", action="store_true", help="smallest sizes: checks the suite runs; the figures mean nothing"
    )
    parser.add_argument(
        "--generator",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="HTTP load generator (auto: wrk, installed with apt-get as root, else Python)",
    )
    parser.add_argument(
        "--http",
        choices=["httptools", "h11"],
        help="HTTP parser of the servers measured, mock and bare alike (default: serve's, httptools)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.http:
        os.environ[HTTP_VARIABLE] = args.http  # the server processes inherit it
    info = machine()
    info["http"] = f"uvicorn, {os.environ.get(HTTP_VARIABLE) or DEFAULT_LIMITS.http}, asyncio loop"
    print(f"piktid-mock benchmarks on {info['nproc']} cores, Python {info['python']}, {info['cpu']}", flush=True)
    print(f"HTTP servers: {info['http']}", flush=True)
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    timings: dict[str, float] = {}
    skipped: dict[str, str] = {}
    for bench in SUITE:
        if args.only and bench.name not in args.only:
            continue
        kwargs = dict(bench.smoke if args.smoke else bench.full)
        missing = [tool for tool in bench.needs if shutil.which(tool) is None]
        if missing:
            skipped[bench.name] = f"{', '.join(missing)} not on PATH (Debian: apt-get install {' '.join(missing)})"
            print(f"-- {bench.name}: skipped, {skipped[bench.name]}", flush=True)
            continue
        if bench.name in ("http", "redis") and not args.smoke:
            kwargs["generator"] = args.generator
        print(f"-- {bench.name}", flush=True)
        started = time.perf_counter()
        try:
            figures += bench.run(**kwargs, say=lambda text: print(f"   {text}", flush=True))
        except Exception:
            errors[bench.name] = traceback.format_exc()
            print(f"   FAILED:\n{errors[bench.name]}", flush=True)
        timings[bench.name] = round(time.perf_counter() - started, 1)
    print()
    print(table(figures))
    write_results(
        args.output,
        figures,
        {"http": info["http"], "smoke": args.smoke, "seconds": timings, "errors": errors, "skipped": skipped},
    )
    print(f"\nwrote {args.output}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
