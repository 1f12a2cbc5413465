"""``bounded``: a client call that returns, raises or hangs is recorded, never hangs the suite."""

from __future__ import annotations

import threading

from contract_tests.calls import bounded, short


class Refused(Exception):
    status_code = 429


def test_a_returned_value_is_kept() -> None:
    call = bounded("generate({})", lambda: "job_1", timeout=5)
    assert call.returned and call.value == "job_1"
    assert call.outcome() == 'returned "job_1"'


def test_an_exception_is_kept_with_its_status_code_and_where_it_was_raised() -> None:
    def generate() -> str:
        raise Refused("slow down")

    call = bounded("generate({})", generate, timeout=5)
    assert not call.returned and call.status_code == 429
    assert call.outcome().startswith("raised Refused: slow down with status_code=429 at ")
    assert call.outcome().endswith("in generate")


def test_a_hanging_call_is_abandoned_after_its_timeout() -> None:
    release = threading.Event()
    call = bounded("wait('job_1')", release.wait, timeout=0.05)
    release.set()
    assert call.timed_out and not call.returned
    assert call.outcome().startswith("did not return within")


def test_short_renders_one_line_and_cuts_long_values() -> None:
    assert short({"b": 1, "a": [1, 2]}) == '{"a": [1, 2], "b": 1}'
    long = short("x" * 1000, limit=50)
    assert len(long) == 50 and long.endswith("...")
