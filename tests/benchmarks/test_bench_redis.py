"""The Redis round-trip counter attributes every round trip of ``POST /edit-chat`` to a store method."""

from __future__ import annotations

from benchmarks.redis_round_trips import OUTSIDE, measure, report
from mock_server.testing import need_tool

CEILING = 4.5
"""Round trips per POST with its completion (33 when first counted, 8 once the hot path was scripted and
pipelined, 4 since a plain request's admission and start are one script, its variation's end another
and the journal's append is posted; the user is read, not cached): issue 12 wants O(1), not one per
field; a new trip on the hot path shows here (the 10 POSTs' one result poll counts too: 4.1-4.2)."""


def test_round_trips_per_post_are_counted_by_store_method_and_stay_bounded() -> None:
    need_tool("redis-server")
    counter, polls = measure(10)
    per_post = sum(counter.trips.values()) / 10
    assert 0 < per_post <= CEILING, report(counter, 10, polls)
    assert {"rate_hit_reserve_and_start", "as_one_step", "claim_due"} <= set(counter.trips)
    assert counter.posted["append_journal"] >= 10
    assert counter.trips[OUTSIDE] == 0, "a round trip made outside any RedisStore method"
