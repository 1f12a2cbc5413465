"""Servers to measure, each in its own process: the mock built from ``Settings``, or a bare ceiling.

Run as ``python -m benchmarks._serve mock|bare --port P [...]``. The mock gets a rate limit and
open credits too large to matter, so a benchmark measures the request path, not the 429 path.
``bare`` is the stack's ceiling: plain Starlette on the same uvicorn, answering canned JSON bodies
of the mock's own size and shape. ``ServerProcess`` starts either and waits for it to answer.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

HOST = "127.0.0.1"
START_TIMEOUT = 30.0
BENCH_RATE_LIMIT = 10**9
BENCH_CREDITS = 1e12
HTTP_VARIABLE = "PIKTID_BENCH_HTTP"
"""The HTTP parser both benchmark servers run (``ServerLimits.http``); unset: ``serve``'s default."""


def _read_json(path: Path | None) -> Any:
    return json.loads(path.read_text()) if path else {}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int | None = None) -> int:
    """Resident set size of a process (this one by default), from /proc; 0 where /proc is missing."""
    try:
        status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    except OSError:
        return 0
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1])


def mock_app(
    latency: float = 0.0,
    webhook_backoff: float = 1.0,
    webhook_attempts: int = 5,
    rate_limit: int = BENCH_RATE_LIMIT,
    stats: bool = False,
    store: str = "memory",
    store_prefix: str = "piktid-mock:",
    **bounds: Any,
) -> Any:
    """The mock as ``serve`` builds it, with benchmark limits; ``stats`` adds ``GET /_bench/stats``;
    ``store``: ``memory`` or a Redis URL (``--store``); ``bounds``: ``Settings`` fields (``retention``,
    ``journal_max_entries``) given on the command line."""
    from starlette.routing import Route

    from mock_server import Settings, create_app

    settings = Settings(
        store=store,
        store_prefix=store_prefix,
        latency=latency,
        rate_limit=rate_limit,
        open_credits=BENCH_CREDITS,
        webhook_backoff=webhook_backoff,
        webhook_attempts=webhook_attempts,
        **{k: v for k, v in bounds.items() if v is not None},
    )
    app = create_app(settings)
    if stats:
        app.router.routes.append(Route("/_bench/stats", _stats_endpoint(app.state.backend), methods=["GET"]))
    return app


class GcTimer:
    """Counts the cyclic garbage collector's runs per generation and the time they stop the world."""

    def __init__(self) -> None:
        self.runs = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.longest = 0.0
        self._started = 0.0
        gc.callbacks.append(self._note)

    def _note(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took, generation = time.perf_counter() - self._started, info["generation"]
        self.runs[generation] += 1
        self.seconds[generation] += took
        self.longest = max(self.longest, took)

    def as_json(self) -> dict[str, Any]:
        return {"runs": self.runs, "seconds": [round(s, 4) for s in self.seconds], "longest": round(self.longest, 4)}


def _stats_endpoint(backend: Any) -> Any:
    from starlette.responses import JSONResponse

    from mock_server.runtime import runtime_for

    collector = GcTimer()
    runtime = runtime_for(backend)

    async def stats(_: Any) -> JSONResponse:
        return JSONResponse(
            {
                "rss_kib": rss_kib(),
                "tasks": len(asyncio.all_tasks()),
                "webhook_tasks": runtime.deliverer.in_flight(),
                "subscriptions": runtime.streams.count(None),
                **backend.counts(),
                "gc": collector.as_json(),
                "cpu_seconds": round(time.process_time(), 3),
                "pid": os.getpid(),
            }
        )

    return stats


def bare_app(post_body: Any, get_body: Any) -> Any:
    """Plain Starlette answering the given bodies: the ceiling of Starlette + uvicorn on this machine.

    Its POST reads and parses the JSON body, as any JSON endpoint must; nothing else is done.
    """
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def post(request: Request) -> JSONResponse:
        json.loads(await request.body())
        return JSONResponse(post_body, status_code=202)

    async def get(_: Request) -> JSONResponse:
        return JSONResponse(get_body)

    return Starlette(
        routes=[
            Route("/edit-chat", post, methods=["POST"]),
            Route("/jobs/{job_id}/results", get, methods=["GET"]),
            Route("/identity", get, methods=["GET"]),
        ]
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._serve")
    parser.add_argument("kind", choices=["mock", "bare"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--webhook-backoff", type=float, default=1.0)
    parser.add_argument("--webhook-attempts", type=int, default=5)
    parser.add_argument("--rate-limit", type=int, default=BENCH_RATE_LIMIT)
    parser.add_argument("--stats", action="store_true")
    parser.add_argument("--store", default="memory", help="mock: memory or redis://HOST:PORT/DB")
    parser.add_argument("--store-prefix", default="piktid-mock:", help="mock: key prefix (and channel) in Redis")
    parser.add_argument(
        "--workers", type=int, default=1, help="mock: worker processes sharing --port (needs a Redis --store)"
    )
    parser.add_argument(
        "--worker-ports", help="with --workers: comma-separated private ports, one per worker (default: free ones)"
    )
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)  # a worker: the shared listening socket
    parser.add_argument("--retention", type=float, help="mock: Settings.retention (s)")
    parser.add_argument("--journal-max-entries", type=int, help="mock: Settings.journal_max_entries")
    parser.add_argument("--profile", type=Path, help="run under cProfile; stats written here on shutdown")
    parser.add_argument("--post-body", type=Path, help="bare: JSON file answered by POST /edit-chat")
    parser.add_argument("--get-body", type=Path, help="bare: JSON file answered by GET /jobs/{id}/results")
    return parser


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from mock_server.server_limits import DEFAULT_LIMITS, freeze_start_up

    args = _parser().parse_args(argv)
    if args.workers > 1:
        return _supervise(args, sys.argv[1:] if argv is None else argv)
    if args.kind == "mock":
        app = mock_app(
            args.latency,
            args.webhook_backoff,
            args.webhook_attempts,
            args.rate_limit,
            args.stats,
            store=args.store,
            store_prefix=args.store_prefix,
            retention=args.retention,
            journal_max_entries=args.journal_max_entries,
        )
    else:
        app = bare_app(_read_json(args.post_body), _read_json(args.get_body))
    # Both servers on the stack ``piktid-mock serve`` runs: its uvicorn options and its start-up freeze.
    # (``--http h11`` on ``python -m benchmarks`` puts both on h11 instead, through HTTP_VARIABLE.)
    limits = dataclasses.replace(DEFAULT_LIMITS, http=os.environ.get(HTTP_VARIABLE) or DEFAULT_LIMITS.http)
    stack = {"log_level": "warning", "access_log": False, **limits.uvicorn_options()}
    freeze_start_up()
    if args.fd is not None:
        return _serve_worker(uvicorn.Config(app, **stack), args.fd, args.port)
    if args.profile is None:
        return uvicorn.run(app, host=HOST, port=args.port, **stack)
    import cProfile
    import signal

    signal.signal(signal.SIGTERM, _exit)
    profile = cProfile.Profile()
    profile.enable()
    try:
        uvicorn.run(app, host=HOST, port=args.port, **stack)
    finally:
        profile.disable()
        profile.dump_stats(args.profile)


WORKER_ONLY = {"--workers", "--worker-ports", "--port", "--fd"}
"""Options of the supervisor that its workers get differently (each one value follows)."""


def _supervise(args: argparse.Namespace, argv: list[str]) -> None:
    """``--workers N``: N worker processes accepting from one listening socket, as uvicorn's ``--workers``.

    The supervisor binds ``--port`` and hands the socket to each worker (``--fd``), so the kernel
    spreads connections over them as it does for ``piktid-mock serve --workers N``. Each worker also
    listens on a private port of its own, so a harness can ask one particular worker for its
    ``/_bench/stats`` (through the shared port it would get whichever worker accepts). SIGTERM
    stops every worker.
    """
    import signal

    if args.kind != "mock" or args.store == "memory" or args.profile:
        raise SystemExit("--workers N > 1: mock only, with a Redis --store, without --profile")
    ports = [int(p) for p in args.worker_ports.split(",")] if args.worker_ports else []
    ports += [free_port() for _ in range(args.workers - len(ports))]
    shared = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    shared.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    shared.bind((HOST, args.port))
    shared.listen(2048)
    shared.set_inheritable(True)
    kept, skip = [], False
    for token in argv:
        if skip:
            skip = False
        elif token in WORKER_ONLY:
            skip = True
        else:
            kept.append(token)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks._serve", *kept, "--fd", str(shared.fileno()), "--port", str(port)],
            pass_fds=[shared.fileno()],
            env=child_env(),
        )
        for port in ports[: args.workers]
    ]

    def stop(*_: object) -> None:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for worker in workers:
        worker.wait()


def _serve_worker(config: Any, fd: int, port: int) -> None:
    """One worker of ``_supervise``: serve the inherited shared socket and a private one on ``port``."""
    import uvicorn

    shared = socket.socket(fileno=fd)
    private = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    private.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    private.bind((HOST, port))
    uvicorn.Server(config).run(sockets=[shared, private])


def _exit(*_: object) -> None:
    """uvicorn re-raises SIGTERM after its graceful shutdown: end with SystemExit so ``finally`` runs."""
    raise SystemExit(0)


class ServerProcess:
    """``with ServerProcess(["mock"]) as server: server.url``: a subprocess that answers before entry returns.

    ``command`` replaces the whole argv when given (e.g. ``python -m mock_server serve``);
    ``startup`` is the seconds from spawn to the first answer to ``ready_path``. ``workers`` > 1
    runs that many worker processes behind ``url`` (``--workers``, Redis store only); ``worker_urls``
    then reach each one alone (for its ``/_bench/stats``), and entry returns once every one answers.
    """

    def __init__(
        self,
        args: list[str],
        *,
        command: list[str] | None = None,
        ready_path: str = "/identity",
        port: int | None = None,
        workers: int = 1,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        ports = [free_port() for _ in range(workers)] if workers > 1 else []
        self.worker_urls = [f"http://{HOST}:{p}" for p in ports] or [self.url]
        if ports:
            args = [*args, "--workers", str(workers), "--worker-ports", ",".join(map(str, ports))]
        self.argv = command or [sys.executable, "-m", "benchmarks._serve", *args, "--port", str(self.port)]
        self.ready_path = ready_path
        self.startup = 0.0
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - outlives this call; closed in stop()

    def start(self) -> ServerProcess:
        started = time.perf_counter()
        self.process = subprocess.Popen(
            self.argv,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            cwd=Path(__file__).resolve().parent.parent,
            env=child_env(),
        )
        try:
            for url in [*self.worker_urls, self.url]:
                self.startup = wait_ready(url + self.ready_path, self.process, started)
        except RuntimeError as exc:
            self.stop()
            raise RuntimeError(f"{exc}; server log: {self.log()[-2000:]}") from None
        return self

    def log(self) -> str:
        """What the server wrote to stderr so far (tracebacks of unhandled errors land here)."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()
        self._log.close()


def child_env() -> dict[str, str]:
    """This environment, with the repository importable (a fresh clone need not be installed)."""
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def wait_ready(url: str, process: subprocess.Popen[bytes], started: float, timeout: float = START_TIMEOUT) -> float:
    """Poll ``url`` until it answers 200; the seconds since ``started``. Raises if the process dies."""
    headers = {"Authorization": "Bearer bench-ready"}
    with httpx.Client(timeout=1.0) as client:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}")
            try:
                if client.get(url, headers=headers).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(0.002)
    raise RuntimeError(f"no 200 from {url} within {timeout} s")
