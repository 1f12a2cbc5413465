"""``suspending`` (mock_server.runtime.suspending) and the ``Wire``'s waits inside it: a store call that waits
for Redis lets the loop serve others, hands back its reply or its failure, and keeps nothing after."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import threading
import time
import weakref
from collections.abc import Iterator

import pytest
import redis

from mock_server.backend import Backend
from mock_server.backend.ids import IdSource
from mock_server.runtime import moves_between_threads, suspending
from mock_server.runtime.feed import sweep
from mock_server.runtime.suspending import Outcome, start
from mock_server.runtime.timer import Timer
from mock_server.settings import Settings
from mock_server.store.suspend import suspendable
from mock_server.store.wire import Script, Wire

pytestmark = [pytest.mark.memory_only, pytest.mark.anyio]

ECHO = Script("return ARGV[1]")
BASE = "http://mock.test"


@pytest.fixture
def wire(request: pytest.FixtureRequest) -> Iterator[Wire]:
    made = Wire(request.getfixturevalue("redis_url"), 0.5, [ECHO])
    yield made
    made.close()


async def test_the_call_runs_in_a_suspendable_and_its_result_comes_back() -> None:
    assert suspendable() is None
    assert await suspending(lambda x, *, y: (suspendable() is not None, x + y), 1, y=2) == (True, 3)


async def test_the_calls_exception_is_raised_to_the_caller() -> None:
    def fails() -> None:
        raise KeyError("gone")

    with pytest.raises(KeyError, match="gone"):
        await suspending(fails)


async def test_a_runner_back_in_the_pool_keeps_nothing_of_its_call() -> None:
    """A request's parsed body may weigh megabytes: neither its argument nor its result outlives the call."""

    class Body:
        pass

    body = Body()
    seen = weakref.ref(body)
    result = await suspending(lambda b: [b], body)
    del body, result
    gc.collect()
    assert seen() is None


def test_on_a_loop_that_moves_between_threads_the_call_runs_straight_through() -> None:
    loop = asyncio.new_event_loop()
    moves_between_threads(loop)
    try:
        assert loop.run_until_complete(suspending(lambda: suspendable() is None)) is True
    finally:
        loop.close()


async def test_a_waiting_call_lets_the_loop_serve_another(wire: Wire) -> None:
    """While the first call waits for its reply, the second runs: the loop was not blocked."""
    order: list[str] = []

    def first() -> object:
        order.append("first sent")
        reply = wire.run(ECHO, [], ["one"], suspend=True)
        order.append("first answered")
        return reply

    async def second() -> None:
        order.append("second ran")

    replies = await asyncio.gather(suspending(first), second())
    assert replies[0] == b"one"
    assert order == ["first sent", "second ran", "first answered"]


async def test_a_blocking_call_reads_the_waiting_replies_ahead_of_its_own(wire: Wire) -> None:
    """Replies come in the order commands went: a blocking exchange hands the waiting calls theirs."""

    def waits(text: str) -> object:
        return wire.run(ECHO, [], [text], suspend=True)

    async def blocks() -> object:
        await asyncio.sleep(0)  # the waiting calls have sent theirs
        return wire.call("ECHO", "mine")

    assert await asyncio.gather(suspending(waits, "a"), suspending(waits, "b"), blocks()) == [b"a", b"b", b"mine"]


async def test_a_reply_that_never_comes_fails_the_waiting_call_after_the_timeout(wire: Wire, redis_url: str) -> None:
    """As a blocking read times out: the caller gets redis-py's TimeoutError (the store's 503)."""
    wire.call("PING")
    other = redis.Redis.from_url(redis_url)
    try:
        other.execute_command("CLIENT", "PAUSE", "3000", "ALL")
        started = time.monotonic()
        with pytest.raises(redis.TimeoutError):
            await suspending(wire.run, ECHO, [], ["late"], suspend=True)
        assert time.monotonic() - started < 3 * 0.5 + 0.5
    finally:
        other.execute_command("CLIENT", "UNPAUSE")
        other.close()
    assert wire.run(ECHO, [], ["again"]) == b"again"  # a new connection


async def test_a_loop_that_stalls_before_the_write_does_not_fail_the_waiting_call(wire: Wire) -> None:
    """A slow callback in the round a call queued its command holds the write back past the Wire's
    timeout (0.5 s here): Redis was not late, so the call gets its reply (the watchdog counts from the
    write, not from the queueing)."""
    wire.call("PING")

    async def stalls() -> None:
        time.sleep(0.7)  # a synchronous callback longer than the timeout: the loop stalls

    replies = await asyncio.gather(suspending(wire.run, ECHO, [], ["x"], suspend=True), stalls())
    assert replies[0] == b"x"


async def test_a_lost_connection_fails_the_waiting_call_at_once(wire: Wire, redis_url: str) -> None:
    """Redis holds the command (paused) and the connection drops meanwhile: the caller raises at once."""
    wire.call("PING")
    other = redis.Redis.from_url(redis_url)

    async def drop() -> None:
        wire._held[0]._sock.shutdown(socket.SHUT_RDWR)  # type: ignore[index]  # the connection just used

    try:
        other.execute_command("CLIENT", "PAUSE", "3000", "ALL")
        started = time.monotonic()
        outcome = await asyncio.gather(
            suspending(wire.run, ECHO, [], ["never"], suspend=True), drop(), return_exceptions=True
        )
        assert isinstance(outcome[0], redis.ConnectionError)
        assert time.monotonic() - started < 0.5
    finally:
        other.execute_command("CLIENT", "UNPAUSE")
        other.close()
    assert wire.run(ECHO, [], ["again"]) == b"again"


async def test_advance_ends_the_runs_that_wait_before_it_moves_the_clock(redis_url: str) -> None:
    """A run of due work waiting for Redis holds the work it claimed: ``advance`` resumes it and lets it end
    first, so every work due when ``advance`` returns has run."""
    settings = Settings(store=redis_url, store_prefix="suspending-advance:", clock="manual", latency=0)
    backend = Backend(settings, fresh=True)
    user = backend.authenticate("tok")
    job_id = backend.edit_chat(user, {"prompt": "x", "size": "1K", "num_variations": 2}, BASE).body["job_id"]
    ended: list[Outcome[int]] = []
    start(asyncio.get_running_loop(), backend.run_due, ended.append)
    assert ended == []  # its claim waits for Redis
    backend.advance(0)
    assert [outcome.unwrap() for outcome in ended] == [2]
    assert [r["status"] for r in backend.results(user, job_id)["results"]] == ["completed", "completed"]
    backend.reset(None)


def test_a_refused_requests_ids_are_given_back_unless_others_were_drawn_meanwhile() -> None:
    """A seeded run draws the ids it always drew, but two requests never share one: a request refused
    after waiting for the store gives its ids back only if nobody drew any while it waited."""
    ids = IdSource(seed=7)
    mark, mine = ids.mark(), ids.new("job")
    ids.rewind(mark, ids.mark())
    assert ids.new("job") == mine
    mark, mine = ids.mark(), ids.new("job")
    drawn, other = ids.mark(), ids.new("job")
    ids.rewind(mark, drawn)
    assert ids.new("job") not in (mine, other)


async def test_advance_ends_every_waiting_run_even_those_another_resumed(redis_url: str) -> None:
    """Runs resumed by another run's blocking call (not by the socket's reader) end before ``advance`` too."""
    settings = Settings(store=redis_url, store_prefix="suspending-runs:", clock="manual", latency=0)
    backend = Backend(settings, fresh=True)
    user = backend.authenticate("tok")
    jobs = [
        backend.edit_chat(user, {"prompt": "x", "size": "1K", "num_variations": 2}, BASE).body["job_id"]
        for _ in range(3)
    ]
    ended: list[Outcome[int]] = []
    for _ in range(4):
        start(asyncio.get_running_loop(), backend.run_due, ended.append)
    backend.advance(0)
    assert sum(outcome.unwrap() for outcome in ended) == 6 and len(ended) == 4
    for job_id in jobs:
        assert [r["status"] for r in backend.results(user, job_id)["results"]] == ["completed", "completed"]
    backend.reset(None)


def test_a_caller_left_waiting_on_a_loop_that_went_away_strands_nobody(wire: Wire) -> None:
    """A loop closed while a call waited (a test client's portal thread): the next loop's calls get
    their replies; the old one's, unless its loop read it before it closed, is read and dropped."""
    ended: list[Outcome[object]] = []

    def old_loop() -> None:
        loop = asyncio.new_event_loop()

        async def leave_waiting() -> None:
            start(asyncio.get_running_loop(), lambda: wire.run(ECHO, [], ["old"], suspend=True), ended.append)

        loop.run_until_complete(leave_waiting())
        loop.close()

    thread = threading.Thread(target=old_loop)
    thread.start()
    thread.join()
    reply = asyncio.run(asyncio.wait_for(suspending(wire.run, ECHO, [], ["new"], suspend=True), 3))
    assert reply == b"new"
    assert [outcome.unwrap() for outcome in ended] in ([], [b"old"])  # it ended only if its loop read it in time


async def test_the_commands_of_calls_waiting_in_one_round_leave_in_one_write(wire: Wire, redis_url: str) -> None:
    """Under load one loop round starts many requests: their commands reach Redis in one write, one
    system call here and one read there, not one each."""
    wire.call("PING")
    other = redis.Redis.from_url(redis_url)
    try:
        before = other.info("stats")["total_reads_processed"]
        texts = [str(n) for n in range(20)]
        replies = await asyncio.gather(*(suspending(wire.run, ECHO, [], [t], suspend=True) for t in texts))
        reads = other.info("stats")["total_reads_processed"] - before
    finally:
        other.close()
    assert replies == [t.encode() for t in texts]
    assert reads <= 3  # the 20 commands' write, the INFO that counted them (and one to spare)


async def test_a_posted_command_leaves_at_once_after_the_waiting_ones(redis_url: str) -> None:
    """``post`` guarantees its bytes are sent before it returns (a request's journal entry before its answer
    leaves): the commands of waiting calls written before it go first, in order."""
    push = Script("return redis.call('RPUSH', KEYS[1], ARGV[1])")
    wire = Wire(redis_url, 0.5, [push])
    other = redis.Redis.from_url(redis_url)
    other.delete("wire-order")
    seen: list[object] = []

    def waits(text: str) -> object:
        return wire.run(push, ["wire-order"], [text], suspend=True)

    async def posts() -> None:  # in the round that queued both waiting calls' commands, after them
        wire.post(push, ["wire-order"], ["posted"])
        seen.extend(other.lrange("wire-order", 0, -1))  # before this loop runs again

    try:
        await asyncio.gather(suspending(waits, "a"), suspending(waits, "b"), posts())
    finally:
        other.delete("wire-order")
        other.close()
        wire.close()
    assert seen == [b"a", b"b", b"posted"]


async def test_the_timer_runs_due_work_in_a_runner_that_leaves_the_loop_free(redis_url: str) -> None:
    """``Timer.run_due`` (its fire, and the periodic sweep's) on a store that suspends starts a run and
    returns while its claim waits for Redis: a backlog of due work never holds the loop until it is done."""
    settings = Settings(store=redis_url, store_prefix="suspending-timer:", clock="manual", latency=0)
    backend = Backend(settings, fresh=True)
    user = backend.authenticate("tok")
    job_id = backend.edit_chat(user, {"prompt": "x", "size": "1K", "num_variations": 1}, BASE).body["job_id"]
    timer = Timer(backend)
    timer.attach(asyncio.get_running_loop())
    timer.run_due()
    assert [r["status"] for r in backend.results(user, job_id)["results"]] == ["processing"]
    backend.advance(0)  # ends the run that waits
    assert [r["status"] for r in backend.results(user, job_id)["results"]] == ["completed"]
    backend.reset(None)


async def test_the_sweep_runs_due_work_through_the_function_it_is_given(redis_url: str) -> None:
    """The runtime gives the sweep its timer's ``run_due``; the backend's own would hold the loop."""
    backend = Backend(Settings(store=redis_url, store_prefix="suspending-sweep:"), fresh=True)
    calls: list[int] = []
    swept = asyncio.create_task(sweep(backend, lambda: calls.append(1), every=0))
    while not calls:
        await asyncio.sleep(0)
    swept.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await swept
    assert calls
    backend.reset(None)


async def test_the_sweep_renews_listening_while_a_stream_is_open(redis_url: str) -> None:
    """While the runtime says something listens, each round of the sweep renews ``Backend.listen``: the
    store's mark that notifications are published is back to its full time."""
    backend = Backend(Settings(store=redis_url, store_prefix="suspending-listen:"), fresh=True)
    client, mark = redis.Redis.from_url(redis_url), "suspending-listen:listening"
    client.set(mark, "x", px=5)
    rounds: list[int] = []

    def listening() -> bool:
        rounds.append(1)
        return True

    swept = asyncio.create_task(sweep(backend, lambda: None, every=0, listening=listening))
    while len(rounds) < 2:
        await asyncio.sleep(0)
    swept.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await swept
    assert client.pttl(mark) > 5_000
    client.close()
    backend.reset(None)
