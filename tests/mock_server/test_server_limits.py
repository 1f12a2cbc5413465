"""Server limits (issue #16): idle or dripping sockets are closed, so they cannot stall ``serve`` or a LiveServer.

Real sockets on loopback and bounded waits. ``serve`` runs as a subprocess with the common
``ulimit -n 1024``, where 1,100 idle sockets once left it unable to accept anyone.
"""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from mock_support import REPO

from mock_server import Settings, cli
from mock_server.server_limits import DEFAULT_LIMITS, ServerLimits
from mock_server.testing import LiveServer, wait_until

IDLE = 1100
DEADLINE = 30.0
REQUEST = b"GET /identity HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer tok-limits\r\nConnection: close\r\n\r\n"


def idle_sockets(port: int, count: int = IDLE) -> list[socket.socket]:
    """``count`` connections that never send a byte (the kernel queues what the server has not accepted)."""
    return [socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) for _ in range(count)]


def status_of_a_real_request(port: int) -> bytes:
    """The status line answered to one complete request, waiting at most ``DEADLINE`` seconds."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
        sock.sendall(REQUEST)
        return sock.recv(64).split(b"\r\n", 1)[0]


def closed_by_the_server(sock: socket.socket, wait: float = 0.0) -> bool:
    """Whether the server closed ``sock`` (waiting up to ``wait`` seconds); ``select`` cannot take fds past 1023."""
    sock.settimeout(wait) if wait else sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except (BlockingIOError, TimeoutError):
        return False
    except ConnectionResetError:
        return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _common_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


@pytest.fixture
def served_with_1024_fds() -> Iterator[int]:
    """``piktid-mock serve --header-timeout 1`` under ``ulimit -n 1024``; its port."""
    port = free_port()
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--header-timeout", "1"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, preexec_fn=_common_fd_limit
    )
    try:

        def listening() -> bool:
            assert process.poll() is None, "piktid-mock serve exited before it listened"
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
            return False

        wait_until(listening, DEADLINE, what=f"piktid-mock serve on {port}")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_1100_idle_sockets_do_not_stall_serve(served_with_1024_fds: int) -> None:
    """Past ~1,020 sockets the server has no descriptor left to accept with, until idle ones are closed."""
    idle = idle_sockets(served_with_1024_fds)
    try:
        assert status_of_a_real_request(served_with_1024_fds) == b"HTTP/1.1 200 OK"
    finally:
        for sock in idle:
            sock.close()


def test_a_live_server_closes_1100_idle_sockets_and_keeps_serving() -> None:
    with LiveServer(Settings(clock="manual"), limits=ServerLimits(header_timeout=0.5)) as server:
        idle = idle_sockets(server.port)
        try:
            assert status_of_a_real_request(server.port) == b"HTTP/1.1 200 OK"
            wait_until(lambda: all(closed_by_the_server(s) for s in idle), DEADLINE, what="idle sockets closed")
        finally:
            for sock in idle:
                sock.close()


PARSERS = ["httptools", "h11"]


@pytest.mark.parametrize("http", PARSERS)
def test_a_request_head_dripped_byte_by_byte_is_cut_at_the_header_timeout(http: str) -> None:
    """Every byte arrives well within the keep-alive timeout; only the header timeout ends it."""
    with (
        LiveServer(Settings(clock="manual"), limits=ServerLimits(header_timeout=0.5, http=http)) as server,
        socket.create_connection(("127.0.0.1", server.port)) as sock,
    ):
        sock.sendall(b"GET /identity HTTP/1.1\r\n")

        def cut() -> bool:
            with contextlib.suppress(OSError):
                sock.sendall(b"X")
            return closed_by_the_server(sock, wait=0.05)

        wait_until(cut, DEADLINE, what="the dripping connection to be closed")


def _answer(port: int, data: bytes) -> bytes:
    """Everything the server sends back for ``data`` until it closes (or ``DEADLINE``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(data)
        chunks = []
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


@pytest.mark.parametrize(("http", "at_once"), [("httptools", True), ("httptools", False), ("h11", False)])
def test_a_request_head_past_max_header_bytes_gets_a_400(http: str, at_once: bool) -> None:
    """Sent in pieces, neither parser buffers a head past the limit (an endless header cannot fill memory);
    httptools also refuses one that arrives complete in one read (h11 bounds only what it must buffer)."""
    limits = ServerLimits(max_header_bytes=4096, http=http)
    with LiveServer(Settings(clock="manual"), limits=limits) as server:
        head = REQUEST.replace(b"Connection: close\r\n", b"Connection: close\r\nX-Long: " + b"a" * 8000 + b"\r\n")
        if at_once:
            answer = _answer(server.port, head)
        else:
            with socket.create_connection(("127.0.0.1", server.port), timeout=DEADLINE) as sock:
                for start in range(0, len(head), 1000):
                    with contextlib.suppress(OSError):
                        sock.sendall(head[start : start + 1000])
                    time.sleep(0.01)
                answer = sock.recv(64)
        assert answer.startswith(b"HTTP/1.1 400 Bad Request")
        fits = REQUEST.replace(b"Connection: close\r\n", b"Connection: close\r\nX-Long: " + b"a" * 3000 + b"\r\n")
        assert _answer(server.port, fits).startswith(b"HTTP/1.1 200 OK")


@pytest.mark.parametrize("http", PARSERS)
def test_keep_alive_pipelined_and_large_bodies_pass_the_limits(http: str) -> None:
    """A body far past the head limit (its last read ends a request) and pipelined requests are not refused,
    and a kept-alive connection waiting between requests is not cut before the header timeout."""
    limits = ServerLimits(max_header_bytes=4096, header_timeout=1.0, http=http)
    with LiveServer(Settings(clock="manual"), limits=limits) as server:
        body = b'{"filename": "' + b"a" * 200_000 + b'"}'
        post = (
            b"POST /upload HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer tok-limits\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        keep = REQUEST.replace(b"Connection: close\r\n", b"")
        answer = _answer(server.port, post + keep + REQUEST)
        assert answer.count(b"HTTP/1.1 ") == 3, answer[:200]
        assert b"HTTP/1.1 400" not in answer
        with socket.create_connection(("127.0.0.1", server.port), timeout=DEADLINE) as sock:
            sock.sendall(keep)
            time.sleep(0.5)
            sock.sendall(REQUEST)
            time.sleep(0.2)
            assert sock.recv(65536).count(b"HTTP/1.1 200 OK") >= 1


@pytest.mark.parametrize("http", PARSERS)
def test_whole_requests_in_one_read_on_a_kept_alive_connection_are_not_counted_as_a_head(http: str) -> None:
    """A request whose head and body (past the head limit) arrive in one read, again and again on one
    connection: each is answered by the app, never refused as a long head."""
    limits = ServerLimits(max_header_bytes=4096, http=http)
    with LiveServer(Settings(clock="manual"), limits=limits) as server, httpx.Client(base_url=server.url) as client:
        for _ in range(10):
            response = client.post("/edit-chat", headers={"Authorization": "Bearer tok-limits"}, content=b"[" * 10_000)
            assert (response.status_code, response.json()["code"]) == (400, "invalid_json")


def test_past_max_connections_new_requests_get_a_503() -> None:
    with LiveServer(Settings(clock="manual"), limits=ServerLimits(max_connections=5)) as server:
        idle = idle_sockets(server.port, 5)
        try:
            wait_until(lambda: status_of_a_real_request(server.port) == b"HTTP/1.1 503 Service Unavailable")
        finally:
            for sock in idle:
                sock.close()


@pytest.fixture
def uvicorn_options(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    return seen


def test_serve_passes_its_limits_to_uvicorn(uvicorn_options: dict[str, Any]) -> None:
    flags = ["--keep-alive-timeout", "7", "--header-timeout", "3", "--max-connections", "50"]
    result = CliRunner().invoke(cli.main, ["serve", *flags, "--max-header-bytes", "4096"])
    assert result.exit_code == 0, result.output
    assert (uvicorn_options["timeout_keep_alive"], uvicorn_options["limit_concurrency"]) == (7, 50)
    assert uvicorn_options["h11_max_incomplete_event_size"] == 4096
    assert uvicorn_options["http"].header_timeout == 3.0


def test_serve_help_names_the_limits_and_their_defaults() -> None:
    shown = " ".join(CliRunner().invoke(cli.main, ["serve", "--help"]).output.split())
    for flag, default in [
        ("--keep-alive-timeout", DEFAULT_LIMITS.keep_alive_timeout),
        ("--header-timeout", DEFAULT_LIMITS.header_timeout),
        ("--max-connections", DEFAULT_LIMITS.max_connections),
        ("--max-header-bytes", DEFAULT_LIMITS.max_header_bytes),
    ]:
        assert flag in shown and f"[default: {default};" in shown.split(flag, 1)[1], flag


def test_a_server_process_freezes_start_up_and_spaces_full_collections() -> None:
    """``serve``'s start-up (in a fresh interpreter: a frozen test process would never collect)."""
    code = (
        "import gc; from mock_server.server_limits import freeze_start_up, FULL_COLLECTION_EVERY as F;"
        "d = gc.get_threshold(); freeze_start_up(); print(gc.get_freeze_count() > 0, gc.get_threshold() == (*d[:2], F))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=DEADLINE, cwd=REPO)
    assert out.stdout.split() == ["True", "True"], out.stderr


def test_a_server_process_freezes_what_middle_collections_keep_and_thaws_it_periodically() -> None:
    """``KeptFrozen`` in a fresh interpreter: what survives a middle collection is frozen (no full collection
    comes due); every ``thaw_every`` middle collections it is unfrozen until a full collection has run, and a
    cycle that became garbage while frozen is collected then."""
    code = """
import gc
from mock_server.server_limits import KeptFrozen, freeze_start_up
freeze_start_up()
policy = next(c for c in gc.callbacks if isinstance(c, KeptFrozen))
policy.thaw_every = 3
start = gc.get_freeze_count()
kept = [[] for _ in range(50)]
cycle = []; cycle.append(cycle)
gc.collect(1)
frozen = gc.get_freeze_count() - start
del cycle
gc.collect(1)
print(frozen >= 51, gc.get_count()[2] == 0, gc.get_freeze_count() > 0)
gc.collect(1)
print(policy.thawed, gc.get_freeze_count() == 0)
gc.collect(1)
print(gc.get_freeze_count() == 0, gc.collect() > 0, policy.thawed)
gc.collect(1)
print(gc.get_freeze_count() >= 50)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=DEADLINE, cwd=REPO)
    assert out.stdout.split() == ["True"] * 3 + ["True", "True"] + ["True", "True", "False"] + ["True"], out.stderr
