"""Several processes, one mock: ``serve`` processes and workers on one Redis, restarts, Redis down.

Each test runs real ``piktid-mock serve`` processes against a real ``redis-server`` (skipped with
one line without the binary, failed under ``CI``). Waits are bounded polls of the API, never sleeps
standing in for an event.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from mock_server.testing import Delivery, RedisServer, RemoteControl, WebhookReceiver, need_tool, wait_until
from mock_server.testing._redis import free_port

pytestmark = pytest.mark.memory_only  # Redis is the subject: each test starts what it needs

START_TIMEOUT = 30.0


PROCESSES: dict[str, subprocess.Popen[bytes]] = {}
"""The ``serve`` process behind each base URL ``served`` yields."""


@contextmanager
def served(url: str, *args: str, prefix: str = "procs:") -> Iterator[str]:
    """A ``serve`` process on ``url`` (one Redis store); its base URL; SIGTERM at the end."""
    port = free_port()
    command = [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--store", url]
    command += ["--store-prefix", prefix, "--latency", "0.3", "--webhook-backoff", "0.2", *args]
    env = {**os.environ, "PIKTID_MOCK_STORE": "memory"}
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        PROCESSES[base] = process
        try:
            wait_until(lambda: _answers(base) or process.poll() is not None, timeout=START_TIMEOUT)
            if process.poll() is not None:
                output.seek(0)
                pytest.fail(f"serve exited: {output.read().decode(errors='replace')}")
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
            PROCESSES.pop(base, None)


def _answers(base: str) -> bool:
    try:
        return httpx.get(base + "/_mock/clock", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create_job(base: str, token: str, **fields: Any) -> str:
    body = {"prompt": "a red bicycle", "size": "1K", **fields}
    answer = httpx.post(base + "/edit-chat", json=body, headers=auth(token), timeout=10)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["job_id"])


def job_status(base: str, token: str, job_id: str) -> str:
    """ "completed" once every variation is (``/status`` says completed at once: the pitfall the mock keeps)."""
    results = httpx.get(f"{base}/jobs/{job_id}/results", headers=auth(token), timeout=10).json()["results"]
    statuses = {r["status"] for r in results}
    return "completed" if statuses == {"completed"} else "processing"


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer(need_tool("redis-server")) as server:
        yield server


def test_two_serve_processes_on_one_redis_are_one_mock(redis_server: RedisServer) -> None:
    with served(redis_server.url) as a, served(redis_server.url) as b, WebhookReceiver() as receiver:
        RemoteControl(a).set_account("tok-two", credits=100)
        put = httpx.put(b + "/webhooks", json={"url": receiver.url}, headers=auth("tok-two"), timeout=10)
        assert put.status_code in (200, 201), put.text
        seen: list[dict[str, Any]] = []
        with (
            httpx.Client(timeout=10) as client,
            connect_sse(client, "GET", f"{b}/notifications/events", headers=auth("tok-two")) as stream,
        ):
            job_id = create_job(a, "tok-two", num_variations=2)
            for event in stream.iter_sse():
                if event.event != "backfill_complete":
                    seen.append(json.loads(event.data))
                if len(seen) == 4:
                    break
        assert [n["name"] for n in seen] == ["batch_edit", "image_result", "image_result", "batch_edit"]
        assert [n["id"] for n in seen] == sorted(n["id"] for n in seen)
        assert job_status(b, "tok-two", job_id) == "completed"
        account = RemoteControl(b).account("tok-two")
        assert account is not None and (account["credits"], account["in_progress_credits"]) == (94, 0)
        wait_until(lambda: len(events(receiver)) >= 4, timeout=10)
        ids = [body["id"] for body in events(receiver)]
        assert len(ids) == len(set(ids)) == 4


def events(receiver: WebhookReceiver) -> list[dict[str, Any]]:
    """The notification deliveries the receiver got (not the configuration's test event)."""
    bodies = [json.loads(d.body) for d in receiver.all()]
    return [b for b in bodies if b.get("name") in ("image_result", "batch_edit")]


def test_concurrent_users_on_two_workers_are_charged_notified_and_delivered_exactly_once(
    redis_server: RedisServer,
) -> None:
    users = [f"tok-load-{i}" for i in range(20)]
    with served(redis_server.url, "--workers", "2") as base, WebhookReceiver() as receiver:
        control = RemoteControl(base)
        for token in users:
            control.set_account(token, credits=20)
            httpx.put(base + "/webhooks", json={"url": receiver.url}, headers=auth(token), timeout=10)

        def drive(token: str) -> list[str]:
            return [create_job(base, token) for _ in range(3)]

        with ThreadPoolExecutor(10) as pool:
            jobs = dict(zip(users, pool.map(drive, users), strict=True))
        wait_until(lambda: all(job_status(base, t, j) == "completed" for t in users for j in jobs[t]), timeout=30)
        notified: set[int] = set()
        for token in users:
            account = control.account(token)
            assert account is not None and (account["credits"], account["charged_credits"]) == (11, 9), account
            listed = control.notifications(user=token)
            names = [n["name"] for n in listed]
            assert names.count("image_result") == 3 and names.count("batch_edit") == 6
            notified |= {n["id"] for n in listed}
        wait_until(lambda: len(events(receiver)) >= len(notified), timeout=30)
        delivered = [body["id"] for body in events(receiver)]
        assert len(delivered) == len(notified) == 180 and set(delivered) == notified


def test_state_survives_a_full_restart_and_work_due_meanwhile_runs_on_start(redis_server: RedisServer) -> None:
    with served(redis_server.url) as base:
        RemoteControl(base).set_account("tok-restart", credits=50)
        upload = httpx.post(base + "/upload", json={"filename": "a.png"}, headers=auth("tok-restart"), timeout=10)
        assert upload.status_code == 200, upload.text
        RemoteControl(base).set_clock("manual")
        job_id = create_job(base, "tok-restart")
    with served(redis_server.url) as again:
        control = RemoteControl(again)
        kept = httpx.post(again + "/notifications", json={}, headers=auth("tok-restart"), timeout=10).json()
        assert [n["name"] for n in _notification_list(kept)] == ["batch_edit"]
        assert (
            httpx.get(again + "/_mock/clock").json()["mode"] == "manual"
            and job_status(again, "tok-restart", job_id) == "processing"
        )
        control.set_clock("real")
        wait_until(lambda: job_status(again, "tok-restart", job_id) == "completed", timeout=10)
        account = control.account("tok-restart")
        assert account is not None and account["credits"] == 47


def test_redis_down_is_a_503_within_5_s_and_the_mock_recovers_by_itself(redis_server: RedisServer) -> None:
    with served(redis_server.url) as base:
        create_job(base, "tok-down")
        redis_server.stop()
        started = time.monotonic()
        answer = httpx.post(base + "/edit-chat", json={"prompt": "x"}, headers=auth("tok-down"), timeout=10)
        assert answer.status_code == 503 and time.monotonic() - started < 5
        assert answer.json()["code"] == "store_unavailable" and "Redis" in answer.json()["error"]
        redis_server.start()
        wait_until(lambda: httpx.get(base + "/identity", headers=auth("tok-down"), timeout=5).status_code == 200)


def test_a_sigkilled_worker_loses_no_work(redis_server: RedisServer) -> None:
    with served(redis_server.url, "--workers", "2") as base:
        tokens = [f"tok-kill-{i}" for i in range(6)]
        jobs = [(t, create_job(base, t, num_variations=2)) for t in tokens]
        workers = _children_of_serving(base)
        os.kill(workers[0], signal.SIGKILL)
        wait_until(lambda: all(_status_or_none(base, t, j) == "completed" for t, j in jobs), timeout=40)
        for token in tokens:
            account = RemoteControl(base).account(token)
            assert account is not None and (account["in_progress_credits"], account["charged_credits"]) == (0, 6)


def _notification_list(body: Any) -> list[dict[str, Any]]:
    return list(body["notifications"] if isinstance(body, dict) else body)


def _status_or_none(base: str, token: str, job_id: str) -> str | None:
    try:
        return job_status(base, token, job_id)
    except httpx.HTTPError:
        return None


def _children_of_serving(base: str) -> list[int]:
    """The worker processes of the ``serve`` at ``base`` (uvicorn's children that answer HTTP)."""
    parent = PROCESSES[base].pid
    listed = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split()
    workers = [int(c) for c in listed if "multiprocessing.spawn" in _command_line(int(c))]
    assert workers, f"no worker processes under {parent}"
    return workers


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_an_attempt_held_by_a_killed_process_is_retried_by_another(redis_server: RedisServer) -> None:
    release = threading.Event()
    first = threading.Event()

    def answer(delivery: Delivery) -> int:
        if not first.is_set():
            first.set()
            release.wait(60)  # held in flight until the process making it is dead
        return 204

    options = ("--webhook-timeout", "2")
    with (
        WebhookReceiver(answer) as receiver,
        served(redis_server.url, *options) as a,
        served(redis_server.url, *options) as b,
    ):
        put = httpx.put(a + "/webhooks", json={"url": receiver.url}, headers=auth("tok-watch"), timeout=10)
        assert put.status_code in (200, 201), put.text
        wait_until(first.is_set, timeout=10)
        os.kill(PROCESSES[a].pid, signal.SIGKILL)
        PROCESSES[a].wait(10)
        release.set()

        def settled() -> dict[str, Any] | None:
            found = RemoteControl(b).deliveries(user="tok-watch")
            return found[0] if found and found[0]["status"] == "delivered" else None

        delivery = wait_until(settled, timeout=40)
        attempts = delivery["attempts"]
        assert len(attempts) == 2 and "abandoned" in (attempts[0]["error"] or "")
        assert attempts[1]["status_code"] == 204 and len(receiver.all()) == 2


def test_the_control_api_of_either_process_acts_on_the_whole_mock(redis_server: RedisServer) -> None:
    with served(redis_server.url) as a, served(redis_server.url) as b:
        on_a, on_b = RemoteControl(a), RemoteControl(b)
        on_a.set_clock("manual")
        wait_until(lambda: httpx.get(b + "/_mock/clock").json()["mode"] == "manual", timeout=5)
        job_id = create_job(b, "tok-ctl")
        assert on_a.advance(1)["ran"] == 1 and job_status(b, "tok-ctl", job_id) == "completed"
        on_b.fail_next(503)
        statuses = [
            httpx.post(base + "/edit-chat", json={"prompt": "x"}, headers=auth("tok-ctl")).status_code
            for base in (a, b, a, b)
        ]
        assert sorted(statuses) == [202, 202, 202, 503]
        assert len(on_a.journal(user="tok-ctl", path="/edit-chat")) == 5
        on_b.reset()
        assert on_a.account("tok-ctl") is None and on_a.journal() == []
        assert create_job(a, "tok-ctl") and len(on_b.journal(user="tok-ctl")) == 1


def test_a_clock_change_on_one_process_is_read_by_the_next_request_on_another(redis_server: RedisServer) -> None:
    """No wait for the feed: a request that starts after ``advance`` returned, on another process, is
    stamped with the advanced time (twelve times in a row, each right after the change)."""
    with served(redis_server.url) as a, served(redis_server.url) as b:
        on_a = RemoteControl(a)
        on_a.set_account("tok-clock", credits=1000)
        on_a.set_clock("manual")
        stamps = []
        for _ in range(12):
            on_a.advance(61)
            create_job(b, "tok-clock")
            listed = httpx.post(b + "/notifications", json={}, headers=auth("tok-clock"), timeout=10).json()
            stamps.append((max(n["timestamp"] for n in _notification_list(listed)), on_a.now()))
        assert all(stamp == now for stamp, now in stamps), stamps


def test_one_sigterm_stops_serve_and_all_its_workers(redis_server: RedisServer) -> None:
    with served(redis_server.url, "--workers", "2") as base:
        workers = _children_of_serving(base)
        process = PROCESSES[base]
        assert len(workers) == 2
    assert process.returncode is not None
    assert not [pid for pid in workers if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
