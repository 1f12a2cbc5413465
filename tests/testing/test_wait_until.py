"""wait_until: returns the predicate's value, waits for another thread, fails naming what it waited for."""

from __future__ import annotations

import threading

import pytest

from mock_server.testing import wait_until


def test_returns_the_first_truthy_value_without_waiting() -> None:
    assert wait_until(lambda: [1, 2], timeout=0) == [1, 2]


def test_waits_for_another_thread() -> None:
    done = threading.Event()
    threading.Timer(0.02, done.set).start()
    assert wait_until(done.is_set, timeout=5) is True


def test_times_out_naming_what_it_waited_for() -> None:
    with pytest.raises(TimeoutError, match=r"timed out after 0.05 s waiting for the receiver to start"):
        wait_until(lambda: False, 0.05, what="the receiver to start")


def test_without_what_names_the_predicate() -> None:
    def never() -> bool:
        return False

    with pytest.raises(TimeoutError, match="never"):
        wait_until(never, 0.01)
