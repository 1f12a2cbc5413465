"""``Feed``: each message of the events channel reaches the backend one event at a time."""

from __future__ import annotations

from typing import Any

from mock_server.runtime.feed import Feed


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
