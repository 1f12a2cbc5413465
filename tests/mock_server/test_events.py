"""The backend's events: plain records that listeners may compare, hash and keep."""

from __future__ import annotations

from mock_server.backend import Notification, Published, Scheduled


def test_events_compare_and_hash_by_value() -> None:
    """Not frozen (they are made on the hot path) but still value records, as they were frozen."""
    assert Scheduled(1.0) == Scheduled(1.0) and {Scheduled(1.0), Scheduled(1.0, clock_moved=True)} == {
        Scheduled(1.0),
        Scheduled(1.0, True),
    }
    note = Notification(1, "tok", "batch_edit", 0.0, {})
    assert Published(note) == Published(note) and Published(note) != Published(Notification(2, "tok", "x", 0.0, {}))
