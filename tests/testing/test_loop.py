"""``LoopThread``: a calling thread runs the loop while its thread sleeps, and leaves it what is for later."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from mock_server import Settings
from mock_server.testing import mock_piktid
from mock_server.testing._loop import LoopThread, loop_thread_of

API = "https://v2.api.piktid.com"
AUTH = {"Authorization": "Bearer loop-user"}
JOB = {"prompt": "a red bicycle", "size": "1K"}


@pytest.fixture
def held() -> Iterator[LoopThread]:
    loop_thread = LoopThread()
    _settle(loop_thread)
    yield loop_thread
    loop_thread.stop()


def _settle(held: LoopThread) -> None:
    """Wait until the loop thread sleeps in its selector (a turn is only taken then)."""
    deadline = time.monotonic() + 5
    while held.selector.sleeps_until == -float("inf") and time.monotonic() < deadline:
        time.sleep(0.001)


async def _where() -> int:
    await asyncio.sleep(0)
    return threading.get_ident()


@pytest.mark.memory_only  # the loop alone: no store
def test_a_call_runs_on_the_calling_thread_while_the_loop_thread_sleeps(held: LoopThread) -> None:
    future = held.submit(_where())
    assert future.done()  # finished within the turn, nothing to wait for
    assert future.result() == threading.get_ident()


@pytest.mark.memory_only  # the loop alone: no store
def test_timers_already_due_run_before_the_call(held: LoopThread) -> None:
    order: list[str] = []
    held.loop.call_at(held.loop.time() - 1, order.append, "timer")  # the sleeping loop thread has not seen it

    async def call() -> None:
        order.append("call")

    held.submit(call()).result(5)
    assert order == ["timer", "call"]


@pytest.mark.memory_only  # the loop alone: no store
def test_a_loop_thread_is_found_by_its_loop_until_it_stops(held: LoopThread) -> None:
    assert loop_thread_of(held.loop) is held
    held.stop()
    assert loop_thread_of(held.loop) is None
    other = asyncio.new_event_loop()
    try:
        assert loop_thread_of(other) is None
    finally:
        other.close()


def test_a_control_call_runs_on_the_calling_thread_while_the_loop_thread_sleeps() -> None:
    with mock_piktid() as control:
        held = loop_thread_of(control.runtime.loop)
        assert held is not None
        _settle(held)
        assert control.call(lambda backend: threading.get_ident()) == threading.get_ident()


@pytest.mark.memory_only  # the loop alone: no store
def test_a_caller_running_its_own_loop_hands_the_call_to_the_loop_thread(held: LoopThread) -> None:
    async def from_a_loop() -> int:
        return held.submit(_where()).result(5)

    assert asyncio.run(from_a_loop()) == held.thread.ident


@pytest.mark.memory_only  # the loop alone: no store
def test_work_left_for_later_runs_on_the_loop_thread_on_time(held: LoopThread) -> None:
    fired: list[tuple[int, float]] = []

    async def schedule() -> float:
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, lambda: fired.append((threading.get_ident(), time.monotonic())))
        return time.monotonic()

    started = held.submit(schedule()).result(5)
    assert not fired  # the turn ended at idle, before the timer
    deadline = time.monotonic() + 5
    while not fired and time.monotonic() < deadline:
        time.sleep(0.005)
    assert fired and fired[0][0] == held.thread.ident  # the sleeping loop thread was woken for it
    assert 0.04 <= fired[0][1] - started < 1.0


@pytest.mark.memory_only  # the loop alone: no store
def test_a_call_waiting_on_a_timer_finishes_on_the_loop_thread(held: LoopThread) -> None:
    async def sleepy() -> int:
        await asyncio.sleep(0.02)
        return threading.get_ident()

    assert held.submit(sleepy()).result(5) == held.thread.ident


@pytest.mark.memory_only  # the loop alone: no store
def test_a_turn_is_bounded_when_the_loop_never_idles(held: LoopThread) -> None:
    spinners: set[int] = set()

    async def spin() -> None:
        while True:
            spinners.add(threading.get_ident())
            await asyncio.sleep(0)

    async def start_spinning() -> asyncio.Task[None]:
        return asyncio.get_running_loop().create_task(spin())

    spinner = held.submit(start_spinning()).result(5)  # returns although the loop is never idle
    assert threading.get_ident() in spinners
    deadline = time.monotonic() + 5
    while held.thread.ident not in spinners and time.monotonic() < deadline:
        time.sleep(0.001)
    assert held.thread.ident in spinners  # the loop thread was woken to carry on
    held.loop.call_soon_threadsafe(spinner.cancel)


@pytest.mark.memory_only  # the loop alone: no store
def test_the_loop_thread_stops_even_when_a_turn_ran_the_stop(held: LoopThread) -> None:
    held.stop()
    assert not held.thread.is_alive() and held.loop.is_closed()
    assert not held.alive()


def test_a_job_with_latency_completes_without_another_call() -> None:
    """The POST's turn leaves the completion timer to the loop thread, woken for it: a job completes
    on time although the test makes no call meanwhile."""
    with mock_piktid(latency=0.05) as control, httpx.Client(base_url=API, headers=AUTH) as api:
        job_id = api.post("/edit-chat", json=JOB).json()["job_id"]
        time.sleep(0.5)  # no call to the mock: a control call now would run before a timer it woke the loop for
        assert control.call(lambda b: b.clock()["pending"]) == 0
        assert api.get(f"/jobs/{job_id}/results").json()["results"][0]["status"] == "completed"


def test_a_job_without_latency_has_completed_when_the_post_returns() -> None:
    with mock_piktid() as control, httpx.Client(base_url=API, headers=AUTH) as api:
        api.post("/edit-chat", json=JOB)
        assert control.call(lambda b: b.clock()["pending"]) == 0


def test_a_sync_client_inside_a_running_loop_still_reaches_the_mock() -> None:
    async def from_async_code() -> int:
        with httpx.Client(base_url=API, headers=AUTH) as api:
            return api.post("/edit-chat", json=JOB).status_code

    with mock_piktid():
        assert asyncio.run(from_async_code()) == 202


def test_sync_calls_from_several_threads_at_once_are_all_answered() -> None:
    answers: list[int] = []

    def caller(api: httpx.Client) -> None:
        for _ in range(20):
            answers.append(api.post("/edit-chat", json=JOB).status_code)

    with mock_piktid(settings=Settings(rate_limit=10**6)), httpx.Client(base_url=API, headers=AUTH) as api:
        threads = [threading.Thread(target=caller, args=(api,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert answers == [202] * 80
