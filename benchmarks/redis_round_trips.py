"""Where ``POST /edit-chat`` spends its Redis round trips: ``python -m benchmarks.redis_round_trips [--requests N]``.

Issue 12 asks for O(1) round trips per request. This drives N sequential POSTs (latency 0, so each
variation completes right after) through a ``LiveServer`` on a throwaway ``redis-server`` and counts,
client-side, every packet the synchronous redis clients send (redis-py's and the store's ``Wire``;
one send is one round trip: a pipeline or a ``MULTI``/``EXEC`` block is one, a ``WATCH`` and each
read inside a transaction one more), attributed to the outermost ``RedisStore`` method running at
the time. A script the ``Wire`` posts (sent, its reply read with the next exchange: the journal's
append) is no round trip; those are counted apart, as ``posted``. The pub/sub listeners (the feed,
the store's change subscription) are not counted: they receive, they do not ask. Needs ``redis-server`` on PATH.
"""

from __future__ import annotations

import argparse
import threading
from collections import Counter
from collections.abc import Callable
from functools import wraps
from typing import Any

import httpx
from greenlet import getcurrent  # type: ignore[import-untyped]  # ships no type information

from benchmarks._servers import BENCH_CREDITS, BENCH_RATE_LIMIT
from benchmarks.http_throughput import PAYLOAD, TOKEN

OUTSIDE = "(outside RedisStore)"


class RoundTrips:
    """Counts sends per outermost store method, in the server's threads only (not the caller's polls)."""

    def __init__(self) -> None:
        self.trips: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.posted: Counter[str] = Counter()
        self._stacks: dict[object, list[str]] = {}
        """The store methods under way, outermost first, per greenlet (per thread outside ``suspending``):
        a store call that suspends lets other requests' calls run before it returns."""
        self._caller = threading.get_ident()

    def _counted(self) -> bool:
        return threading.get_ident() != self._caller

    def install(self, store_class: type, wire_class: type) -> Callable[[], None]:
        """Wrap ``Connection.send_packed_command`` and every public method of ``store_class`` (this process
        only); the function returned puts them back (a test run goes on after it)."""
        import redis.connection

        send = redis.connection.Connection.send_packed_command
        originals = {name: member for name, member in vars(store_class).items() if callable(member)}

        def counting_send(connection: Any, command: Any, check_health: bool = True) -> None:
            if self._counted():
                stack = self._stacks.get(getcurrent(), [])
                self.trips[stack[0] if stack else OUTSIDE] += 1
            send(connection, command, check_health)

        redis.connection.Connection.send_packed_command = counting_send  # type: ignore[method-assign]
        self._count_wire(wire_class)
        for name, member in list(vars(store_class).items()):
            if callable(member) and not name.startswith("_"):
                setattr(store_class, name, self._wrap(name, member))

        def undo() -> None:
            redis.connection.Connection.send_packed_command = send  # type: ignore[method-assign]
            setattr(wire_class, "observer", None)  # noqa: B010
            for name, member in originals.items():
                if not name.startswith("_"):
                    setattr(store_class, name, member)

        return undo

    def _count_wire(self, wire_class: type) -> None:
        """The store's hot-path client writes to its socket itself (compiled: its methods cannot be
        wrapped), and tells ``Wire.observer`` of each write: each but a posted one's is one round trip."""

        def observe(posted: bool) -> None:
            if self._counted():
                stack = self._stacks.get(getcurrent(), [])
                (self.posted if posted else self.trips)[stack[0] if stack else OUTSIDE] += 1

        setattr(wire_class, "observer", observe)  # noqa: B010  # a class passed in, not imported

    def _wrap(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            stack = self._stacks.setdefault(getcurrent(), [])
            if not stack and self._counted():
                self.calls[name] += 1
            stack.append(name)
            try:
                return method(*args, **kwargs)
            finally:
                stack.pop()

        return call

    def reset(self) -> None:
        self.trips.clear()
        self.calls.clear()
        self.posted.clear()


def measure(requests: int) -> tuple[RoundTrips, int]:
    """Round trips of ``requests`` POSTs with their completions; also how many result polls waiting took."""
    from mock_server.store import open_store
    from mock_server.testing import RedisServer

    counter = RoundTrips()
    with RedisServer() as redis_server:
        store = open_store(redis_server.url)  # the Redis store's classes, without importing its private modules
        undo = counter.install(type(store), type(getattr(store, "wire")))  # noqa: B009  # not in the Store protocol
        try:
            return _count(counter, redis_server.url, requests)
        finally:
            undo()


def _count(counter: RoundTrips, url: str, requests: int) -> tuple[RoundTrips, int]:
    from mock_server import Settings
    from mock_server.testing import LiveServer

    settings = Settings(store=url, latency=0.0, rate_limit=BENCH_RATE_LIMIT, open_credits=BENCH_CREDITS)
    with (
        LiveServer(settings) as server,
        httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as client,
    ):
        client.post("/edit-chat", json=PAYLOAD).raise_for_status()  # first sight of the user, warm-up
        _finish(client, client.post("/edit-chat", json=PAYLOAD).json()["job_id"])
        counter.reset()
        job = ""
        for _ in range(requests):
            job = client.post("/edit-chat", json=PAYLOAD).raise_for_status().json()["job_id"]
        polls = _finish(client, job)
        return counter, polls


def _finish(client: httpx.Client, job: str) -> int:
    """Poll (bounded) until ``job`` has no variation processing; how many polls it took.

    The polls' own round trips are counted: they go through the server's threads, 2-3 each.
    """
    for polls in range(1, 2001):
        if not client.get(f"/jobs/{job}/results").json()["summary"]["processing"]:
            return polls
    raise RuntimeError(f"job {job} did not finish (latency 0 should finish it at once)")


def report(counter: RoundTrips, requests: int, polls: int) -> list[str]:
    total = sum(counter.trips.values())
    lines = [
        f"{total / requests:.1f} Redis round trips per POST /edit-chat (its completion included; "
        f"{requests} POSTs, {polls} result polls at the end counted too)",
        f"  {'store method':28} {'calls/POST':>10} {'trips/POST':>10}",
    ]
    for name, trips in counter.trips.most_common():
        lines.append(f"  {name:28} {counter.calls[name] / requests:10.2f} {trips / requests:10.2f}")
    for name, posted in counter.posted.most_common():
        lines.append(f"  {name:28} {counter.calls[name] / requests:10.2f} {'':10} posted {posted / requests:.2f}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.redis_round_trips", description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    counter, polls = measure(args.requests)
    print("\n".join(report(counter, args.requests, polls)))


if __name__ == "__main__":
    main()
