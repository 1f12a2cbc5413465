"""``Feed``: each message of the events channel reaches the backend one event at a time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis

from mock_server.backend import Backend, Filters
from mock_server.runtime import runtime_for
from mock_server.runtime.feed import Feed
from mock_server.runtime.streams import Subscription
from mock_server.settings import Settings


class _Recorder:
    def __init__(self, failing: bytes = b"") -> None:
        self.events: list[tuple[bytes, bool]] = []
        self.failing = failing

    def apply_feed(self, data: bytes, *, notifications: bool = True) -> None:
        if data == self.failing:
            raise ValueError(data)
        self.events.append((data, notifications))


def test_a_message_of_several_lines_is_applied_line_by_line_in_order() -> None:
    backend = _Recorder()
    feed = Feed(backend, "redis://unused", "events", wants_notifications=lambda: False)  # type: ignore[arg-type]
    feed._apply(b'{"t":"due","at":1.5}\n{"t":"n","n":{"id":3}}')
    feed._apply(b'{"t":"reset"}')
    assert backend.events == [
        (b'{"t":"due","at":1.5}', False),
        (b'{"t":"n","n":{"id":3}}', False),
        (b'{"t":"reset"}', False),
    ]


def test_a_line_that_fails_is_logged_and_the_next_still_applied(caplog: Any) -> None:
    backend = _Recorder(failing=b"bad")
    feed = Feed(backend, "redis://unused", "events")  # type: ignore[arg-type]
    feed._apply(b"bad\ngood")
    assert backend.events == [(b"good", True)] and "not applied" in caplog.text


@pytest.mark.memory_only
@pytest.mark.anyio
async def test_a_process_with_a_stream_open_marks_listening_as_it_subscribes_and_every_second(
    redis_url: str,
) -> None:
    """On a shared store notifications are published only while some process listens: one with a stream
    open renews the mark before its feed (re)subscribes, and its sweep renews it while the stream stays
    open; one without a stream sets none (its POSTs then publish no notification text)."""
    backend = Backend(Settings(store=redis_url, store_prefix="feed-listen:"), fresh=True)
    client, mark = redis.Redis.from_url(redis_url), "feed-listen:listening"
    client.delete(mark)
    runtime = runtime_for(backend)
    await runtime.follow()
    assert not client.exists(mark)
    await runtime.unfollow()
    runtime.streams.subscriptions.add(Subscription("tok", Filters()))
    await runtime.follow()
    assert client.pttl(mark) > 5_000
    client.set(mark, "x", px=2_000)
    for _ in range(100):  # the sweep's round is a real second (it renews whatever the mock's clock)
        if client.pttl(mark) > 5_000:
            break
        await asyncio.sleep(0.05)
    assert client.pttl(mark) > 5_000
    await runtime.unfollow()
    client.close()
    backend.reset(None)
