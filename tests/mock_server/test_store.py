"""The ``Store`` contract: each atomic operation, as any implementation must keep it.

Parametrised over the store factories in ``STORES`` so the next store (Redis) runs the same tests.
Records round-trip through ``dataclasses.asdict`` here, the check that they are plain data.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import threading
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mock_server.backend.accounts import User
from mock_server.backend.entries import Entry
from mock_server.backend.faults import FaultRule
from mock_server.backend.files import StoredFile
from mock_server.backend.jobs import Generation, Job, Variation
from mock_server.backend.links import Links
from mock_server.backend.notifications import ImageResult, Notification
from mock_server.backend.projects import Project
from mock_server.backend.signing import Signer
from mock_server.backend.webhooks import Delivery
from mock_server.backend.work import Work
from mock_server.store import MemoryStore, StaleAccount, Store, StoreUnavailable
from mock_server.store.redis import RedisStore, _Keys
from piktid_spec import EditChatRequest

pytestmark = pytest.mark.memory_only

STORES: dict[str, Callable[[pytest.FixtureRequest], Store]] = {
    "memory": lambda request: MemoryStore(seed=1),
    "redis": lambda request: RedisStore(request.getfixturevalue("redis_url"), seed=1, prefix="store-contract:"),
}


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    made = STORES[request.param](request)
    made.clear(None)
    yield made
    made.clear(None)


@pytest.fixture
def redis_store(request: pytest.FixtureRequest) -> Iterator[RedisStore]:
    """A Redis store alone, for what only the shared store does (posted writes, other threads, subscribers)."""
    made = RedisStore(request.getfixturevalue("redis_url"), seed=1, prefix="redis-only:")
    made.clear(None)
    yield made
    made.clear(None)
    made.changes.close()


def user(store: Store, token: str = "tok", credits: float = 10) -> User:
    made = User(token, "pro", credits)
    store.put_user(made)
    return made


def test_ids_increase_from_one_after_a_clear(store: Store) -> None:
    assert [store.next_id() for _ in range(3)] == [1, 2, 3]
    store.clear(None)
    assert store.next_id() == 1


def test_a_reservation_needs_free_credits_and_reports_the_figures_before(store: Store) -> None:
    user(store, credits=5)
    assert store.reserve_credits("tok", 3) == (True, 5, 0)
    assert store.reserve_credits("tok", 3) == (False, 5, 3)
    store.settle_credits("tok", 3, charge=True)
    again = store.get_user("tok")
    assert again is not None and (again.credits, again.in_progress, again.charged) == (2, 0, 3)


def test_a_new_user_is_added_once_and_a_second_add_returns_the_first(store: Store) -> None:
    first = store.add_user(User("tok", "pro", 10))
    store.reserve_credits("tok", 4)
    kept = store.add_user(User("tok", "free", 99))
    assert (kept.plan, kept.credits, kept.in_progress) == ("pro", 10, 4) and first.token == "tok"
    assert [u.token for u in store.users()] == ["tok"]


def test_changing_a_user_keeps_a_reservation_made_meanwhile(store: Store) -> None:
    """``set_account`` read the user, then wrote it back whole: a reservation made between (another
    worker's ``/edit-chat``) was overwritten. ``change_user`` writes only the fields it names."""
    user(store, credits=5)
    other = RedisStore(store.url, prefix=store.prefix) if isinstance(store, RedisStore) else store
    assert other.reserve_credits("tok", 4)[0]
    changed = store.change_user("tok", plan="free", credits=100, entitlements=frozenset({"x"}))
    assert changed is not None
    assert (changed.plan, changed.credits, changed.in_progress, changed.charged) == ("free", 100.0, 4.0, 0.0)
    assert changed.entitlements == frozenset({"x"}) and isinstance(changed.credits, float)
    assert store.change_user("nobody", plan="free", credits=None, entitlements=None) is None


def test_credits_stay_exact_floats_through_a_shared_store(store: Store) -> None:
    """The 402 rule compares float sums: a script must add as Python does (0.3 - 0.1 < 0.2 here)."""
    user(store, credits=0.3)
    assert store.reserve_credits("tok", 0.1) == (True, 0.3, 0.0)
    assert store.reserve_credits("tok", 0.2) == (False, 0.3, 0.1)
    assert store.reserve_credits("tok", 0.1)[0]
    store.settle_credits("tok", 0.1, charge=True)
    store.settle_credits("tok", 0.1, charge=False)
    kept = store.get_user("tok")
    assert kept is not None and (kept.credits, kept.in_progress, kept.charged) == (0.3 - 0.1, 0.0, 0.1)


def test_a_release_frees_the_reservation_without_charging(store: Store) -> None:
    user(store, credits=5)
    store.reserve_credits("tok", 4)
    store.settle_credits("tok", 4, charge=False)
    again = store.get_user("tok")
    assert again is not None and (again.credits, again.in_progress, again.charged) == (5, 0, 0)


def test_the_rate_window_slides(store: Store) -> None:
    assert [store.rate_hit("k", t, 2, 60.0) for t in (0.0, 1.0)] == [None, None]
    assert store.rate_hit("k", 30.0, 2, 60.0) == 0.0
    assert store.rate_hit("k", 60.0, 2, 60.0) is None
    assert store.rate_hit("other", 60.0, 2, 60.0) is None


def test_due_work_is_claimed_once_in_time_then_scheduling_order(store: Store) -> None:
    for due, name in ((2.0, "b"), (1.0, "a"), (2.0, "c")):
        store.schedule(Work(due, "variation", (name,)))
    assert store.next_due() == 1.0 and store.pending_work() == 3
    assert store.claim_due(0.5) is None
    claimed = [w.key[0] for w in iter(lambda: store.claim_due(2.0), None)]
    assert claimed == ["a", "b", "c"] and store.pending_work() == 0 and store.next_due() is None


def test_an_attempt_is_claimed_only_while_the_delivery_is_pending(store: Store) -> None:
    store.put_delivery(Delivery("d1", "tok", "http://h/", "s", "ping", b"{}", None, 0.0))
    first = store.claim_attempt("d1", 1.0)
    assert first is not None and first.number == 1
    store.delete_webhook("tok")
    assert store.claim_attempt("d1", 2.0) is None and store.claim_attempt("nope", 2.0) is None
    delivery = store.get_delivery("d1")
    assert delivery is not None and delivery.status == "cancelled" and len(delivery.attempts) == 1


def test_a_fault_rule_is_used_up_and_removed(store: Store) -> None:
    rule = store.add_fault(FaultRule(0, "status", path="/edit-chat", status=503, times=2))
    assert rule.id == 1 and store.has_faults()
    assert store.take_fault("latency", "POST", "/edit-chat", None) is None
    assert store.take_fault("status", "POST", "/other", None) is None
    taken = [store.take_fault("status", "POST", "/edit-chat", None) for _ in range(3)]
    assert [t is not None for t in taken] == [True, True, False] and not store.has_faults()


def test_cached_fault_rules_follow_a_change_made_by_another_process(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Redis store caches the fault rules (most requests meet none) until its subscription hears of a
    change: a rule added, used up, removed or cleared through another process counts at once here,
    and a ``times: 1`` rule still fires once in the whole mock."""
    url = request.getfixturevalue("redis_url")
    here, there = (RedisStore(url, seed=1, prefix="fault-cache:") for _ in range(2))
    here.clear(None)
    assert not here.has_faults()  # read, and subscribed
    with monkeypatch.context() as patched:  # on the class: a compiled store's instances hold no methods
        patched.setattr(RedisStore, "faults", lambda _: pytest.fail("read with nothing changed"))
        assert not here.has_faults() and here.take_fault("status", "GET", "/x", None) is None  # cached
    there.add_fault(FaultRule(0, "status", status=503, times=1))
    assert here.has_faults()
    assert there.take_fault("status", "GET", "/x", None) is not None
    assert here.take_fault("status", "GET", "/x", None) is None and not here.has_faults()
    kept = there.add_fault(FaultRule(0, "latency", delay=1.0, times=None))
    assert here.has_faults() and there.remove_fault(kept.id) and not here.has_faults()
    there.add_fault(FaultRule(0, "latency", delay=1.0, times=None))
    assert here.has_faults()
    there.clear_faults()
    assert not here.has_faults()
    there.add_fault(FaultRule(0, "latency", delay=1.0, times=None))
    there.clear(None)
    assert not here.has_faults()
    here.changes.close()
    there.add_fault(FaultRule(0, "latency", delay=1.0, times=None))
    assert here.has_faults()  # no subscription: read each time, until subscribed again
    here.clear(None)


def test_a_fault_rule_is_removed_by_id_once(store: Store) -> None:
    kept = store.add_fault(FaultRule(0, "status", status=500, times=None))
    dropped = store.add_fault(FaultRule(0, "latency", delay=1.0, times=None))
    assert store.remove_fault(dropped.id) and not store.remove_fault(dropped.id)
    assert [r.id for r in store.faults()] == [kept.id]


def test_notifications_are_read_after_an_id_and_deleted_once(store: Store) -> None:
    for owner in ("a", "b", "a"):
        store.append_notification(Notification(0, owner, "image_result", 0.0, {}))
    assert [n.id for n in store.notifications("a", after=1)] == [3]
    assert [n.id for n in store.all_notifications()] == [1, 2, 3] and store.newest_notification_id() == 3
    assert store.delete_notification("b", 3) is None
    deleted = store.delete_notification("a", 3)
    assert deleted is not None and deleted.deleted and store.delete_notification("a", 3) is None


def test_a_project_name_is_kept_once_per_owner(store: Store) -> None:
    first = store.add_project(Project(0, "k1", "shoes", "a", 0.0))
    again = store.add_project(Project(0, "k2", "shoes", "a", 1.0))
    other = store.add_project(Project(0, "k3", "shoes", "b", 2.0))
    assert again.project_key == "k1" and (first.project_id, other.project_id) == (1, 2)
    assert store.add_project_file("a", "shoes", "file_1").file_ids == ["file_1"]
    assert [p.project_key for p in store.projects("a")] == ["k1"]


ROOMY = {"max_entries": 100, "max_bytes": 10**6}


def test_the_journal_numbers_entries_and_filters(store: Store) -> None:
    for who, path in (("a", "/edit-chat"), ("b", "/upload"), ("a", "/upload")):
        store.append_journal(Entry(0, 0.0, "POST", path, "", who, 200, None), **ROOMY)
    assert [e.seq for e in store.journal(user="a")] == [1, 3]
    assert [e.seq for e in store.journal(path="/upload", since=2)] == [3]
    store.clear_journal()
    assert store.journal() == []


def test_a_journal_entry_reads_back_whole(store: Store) -> None:
    """Every field of an entry comes back (the memory store keeps entries as tuples, out of the collector's way)."""
    violation = {"code": "unknown_field", "field": "x", "provenance": {"kind": "doc", "text": "t"}}
    entry = Entry(0, 2.5, "POST", "/edit-chat", "a=1", "u", 400, "invalid_parameter", [violation], 0.25)
    entry.body, entry.body_truncated, entry.body_bytes, entry.violations_dropped, entry.size = "{", True, 9, 3, 77
    store.append_journal(entry, **ROOMY)
    entry.seq = 1
    assert store.journal() == [entry] and all(
        getattr(store.journal()[0], f.name) == getattr(entry, f.name) for f in dataclasses.fields(Entry)
    )
    assert store.journal()[0].violations == [violation]


def test_the_journal_keeps_the_newest_past_its_entry_limit(store: Store) -> None:
    for _ in range(3):
        store.append_journal(Entry(0, 0.0, "GET", "/", "", None, 200, None), max_entries=2, max_bytes=10**6)
    assert [e.seq for e in store.journal()] == [2, 3]


def test_the_journal_keeps_the_newest_within_its_byte_cap(store: Store) -> None:
    for size in (40, 30, 50, 25):
        store.append_journal(Entry(0, 0.0, "GET", "/", "", None, 200, None, size=size), max_entries=10, max_bytes=100)
    assert [e.seq for e in store.journal()] == [3, 4]
    assert store.counts()["journal_bytes"] == 75


def test_the_newest_entry_is_kept_even_past_the_byte_cap(store: Store) -> None:
    for size in (10, 500):
        store.append_journal(Entry(0, 0.0, "GET", "/", "", None, 200, None, size=size), max_entries=10, max_bytes=100)
    assert [e.seq for e in store.journal()] == [2]
    store.clear_journal()
    assert store.counts()["journal_bytes"] == 0


def test_records_are_plain_data(store: Store) -> None:
    records = [
        user(store),
        Project(1, "k", "p", "tok", 0.0, ["f"]),
        Work(1.0, "webhook_attempt", ("d1",)),
        FaultRule(1, "status", status=500),
        Entry(1, 0.0, "GET", "/", "", None, 200, None, body='{"a":[1]}', size=300),
    ]
    for record in records:
        json.dumps(dataclasses.asdict(record))


def test_clear_forgets_every_record(store: Store) -> None:
    user(store)
    store.schedule(Work(1.0, "variation", ("j", "0", "0")))
    store.add_fault(FaultRule(0, "status", status=500))
    store.clear(None)
    assert store.get_user("tok") is None and store.pending_work() == 0 and not store.has_faults()
    assert set(store.counts().values()) == {0}


def job(store: Store, job_id: str, created: float, updated: float, *statuses: str) -> Job:
    """A job made at ``created``, last changed at ``updated``, with one variation per status."""
    made = Job(job_id, "tok", created, "http://h", updated)
    generation = Generation(0, EditChatRequest.from_payload({"prompt": "x"}), created, (1, 1), None, (), ())
    generation.variations = [Variation(i, 1.0, created + 1, status) for i, status in enumerate(statuses)]  # type: ignore[arg-type]
    made.generations.append(generation)
    store.put_job(made)
    return made


def stored_file(store: Store, file_id: str, created: float, size: int | None) -> None:
    store.put_file(
        StoredFile(file_id, "tok", "a.png", "image/png", None, created, None if size is None else b"x" * size)
    )


def test_drop_before_drops_only_finished_jobs_last_changed_before_the_cutoff(store: Store) -> None:
    job(store, "old_done", 1.0, 5.0, "completed", "failed")
    job(store, "old_busy", 2.0, 2.0, "completed", "processing")
    job(store, "old_continued", 3.0, 20.0, "completed")
    job(store, "new_done", 11.0, 12.0, "completed")
    assert store.drop_before(10.0)["jobs"] == 1
    assert store.get_job("old_done") is None
    assert [j.job_id for j in store.recent_jobs(10)] == ["new_done", "old_continued", "old_busy"]
    assert store.counts()["jobs"] == 3


def test_drop_before_drops_notifications_made_before_the_cutoff_and_keeps_the_ids(store: Store) -> None:
    for owner, at in (("a", 1.0), ("b", 2.0), ("a", 9.0), ("a", 10.0), ("b", 11.0)):
        store.append_notification(Notification(0, owner, "image_result", at, {}))
    store.delete_notification("a", 1)
    assert store.drop_before(10.0)["notifications"] == 3
    assert [n.id for n in store.all_notifications()] == [4, 5] and [n.id for n in store.notifications("a")] == [4]
    assert store.newest_notification_id() == 5 and store.next_id() == 6
    assert store.delete_notification("a", 3) is None


def test_drop_before_keeps_pending_deliveries_whatever_their_age(store: Store) -> None:
    for name, at, status in (
        ("d1", 1.0, "delivered"),
        ("d2", 2.0, "pending"),
        ("d3", 3.0, "failed"),
        ("d4", 12.0, "cancelled"),
    ):
        store.put_delivery(Delivery(name, "tok", "http://h/", "s", "ping", b"{}", None, at, status))
    assert store.drop_before(10.0)["deliveries"] == 2
    assert [d.id for d in store.deliveries()] == ["d2", "d4"] and store.get_delivery("d1") is None


def test_drop_before_drops_files_made_before_the_cutoff_uploaded_or_not(store: Store) -> None:
    stored_file(store, "f1", 1.0, 100)
    stored_file(store, "f2", 2.0, None)
    stored_file(store, "f3", 10.0, 50)
    assert store.drop_before(10.0) == {"jobs": 0, "notifications": 0, "deliveries": 0, "files": 2}
    assert store.get_file("f1") is None and store.get_file("f2") is None and store.get_file("f3") is not None
    assert store.counts()["upload_bytes"] == 50


def test_drop_before_leaves_work_users_and_projects(store: Store) -> None:
    user(store)
    store.schedule(Work(1.0, "variation", ("gone",)))
    store.add_project(Project(0, "k", "p", "tok", 0.0, ["f1"]))
    store.drop_before(1e12)
    assert store.pending_work() == 1 and store.get_user("tok") is not None
    assert [p.file_ids for p in store.projects("tok")] == [["f1"]]


def test_cap_uploads_drops_the_oldest_uploads_until_the_rest_fit(store: Store) -> None:
    stored_file(store, "f1", 1.0, 40)
    stored_file(store, "f2", 2.0, None)
    stored_file(store, "f3", 3.0, 40)
    stored_file(store, "f4", 4.0, 40)
    assert store.counts()["upload_bytes"] == 120
    assert store.cap_uploads(100) == 1
    assert [store.get_file(f) is not None for f in ("f1", "f2", "f3", "f4")] == [False, True, True, True]
    assert store.cap_uploads(100) == 0 and store.counts()["upload_bytes"] == 80


def test_cap_uploads_keeps_the_file_holding_the_last_bytes(store: Store) -> None:
    stored_file(store, "f1", 1.0, 40)
    stored_file(store, "f2", 2.0, 400)
    assert store.cap_uploads(100) == 1
    assert store.get_file("f2") is not None and store.counts()["upload_bytes"] == 400


def test_a_file_put_again_with_its_bytes_counts_them_once(store: Store) -> None:
    stored_file(store, "f1", 1.0, None)
    stored_file(store, "f1", 1.0, 30)
    stored_file(store, "f1", 1.0, 30)
    assert store.counts()["upload_bytes"] == 30


def test_two_writers_of_one_job_on_a_shared_store_lose_neither_change(request: pytest.FixtureRequest) -> None:
    from mock_server.backend.jobs import Generation, Job, Variation

    url = request.getfixturevalue("redis_url")
    one, two = (RedisStore(url, prefix="job-merge:") for _ in range(2))
    one.clear(None)
    payload = {"prompt": "x", "num_variations": 2}
    generation = Generation(0, EditChatRequest.from_payload(payload), 0.0, (8, 8), None, (), ())
    generation.variations += [Variation(0, 1.0, 1.0), Variation(1, 1.0, 2.0)]
    one.put_job(Job("job_1", "tok", 0.0, "http://h", generations=[generation]))
    first, second = one.get_job("job_1"), two.get_job("job_1")
    assert first is not None and second is not None
    first.generations[0].variations[0].status = "completed"
    second.generations[0].variations[1].status = "failed"
    second.generations.append(Generation(1, EditChatRequest.from_payload(payload), 3.0, (8, 8), None, (), ()))
    one.put_job(first)
    two.put_job(second)
    kept = one.get_job("job_1")
    assert kept is not None and len(kept.generations) == 2
    assert [v.status for v in kept.generations[0].variations] == ["completed", "failed"]
    one.clear(None)


def test_update_job_keeps_what_another_process_wrote_meanwhile(store: Store) -> None:
    """Two workers finishing two variations of one job at once: neither outcome may be lost.

    The other process is a second handle on the same state (for Redis a second client); it finishes
    variation 1 while this one is between reading the job and writing it back.
    """
    job(store, "j", 1.0, 1.0, "processing", "processing")
    other = RedisStore(store.url, prefix=store.prefix) if isinstance(store, RedisStore) else store

    def finish(index: int, record: Job) -> Job:
        record.generations[0].variations[index].status = "completed"
        return record

    interleaved: list[bool] = []

    def finish_first_while_the_other_finishes_second(record: Job) -> Job:
        if not interleaved:
            interleaved.append(True)
            other.update_job("j", lambda theirs: finish(1, theirs))
        return finish(0, record)

    store.update_job("j", finish_first_while_the_other_finishes_second)
    stored = store.get_job("j")
    assert stored is not None
    assert [v.status for v in stored.generations[0].variations] == ["completed", "completed"]


def test_update_job_stores_nothing_when_the_change_says_none(store: Store) -> None:
    job(store, "j", 1.0, 1.0, "processing")
    assert store.update_job("missing", lambda record: record) is None
    assert store.update_job("j", lambda record: None) is None
    stored = store.get_job("j")
    assert stored is not None and stored.generations[0].variations[0].status == "processing"


def test_a_new_generation_and_a_variations_end_are_each_one_step(store: Store) -> None:
    """``start_generation`` and ``settle_and_notify`` do what their parts do, in order; the answer is the
    owner's webhook config as the append read it."""
    from mock_server.backend.webhooks import WebhookConfig

    user(store, credits=10)
    store.put_webhook(WebhookConfig("wh_1", "tok", "http://r/hook", "s", 0.0, 0.0))
    made = Job("j", "tok", 0.0, "http://h")
    made.generations.append(Generation(0, EditChatRequest.from_payload({"prompt": "x"}), 0.0, (1, 1), None, (), ()))
    works = [Work(1.0, "variation", ("j", "0", "0")), Work(2.0, "variation", ("j", "0", "1"))]
    first = Notification(0, "tok", "batch_edit", 0.0, {})
    config = store.start_generation(made, works, first, new=True)
    assert config is not None and config.url == "http://r/hook" and first.id == 1
    assert store.get_job("j") is not None and store.pending_work() == 2 and store.next_due() == 1.0
    assert store.reserve_credits("tok", 4)[0]
    notes = [Notification(0, "tok", "image_result", 1.0, {}), Notification(0, "tok", "batch_edit", 1.0, {})]
    assert store.settle_and_notify("tok", 4, charge=True, notifications=notes) is not None
    kept = store.get_user("tok")
    assert kept is not None and (kept.credits, kept.in_progress, kept.charged) == (6, 0, 4)
    assert [n.id for n in notes] == [2, 3] and [n.id for n in store.notifications("tok")] == [1, 2, 3]


def test_a_plain_requests_admission_and_start_are_one_step(store: Store) -> None:
    """``rate_hit_reserve_and_start``: a hit over the limit or a refused reservation starts nothing (the
    hit still counts); otherwise the job, its work and its notification are stored as ``start_generation``
    stores them."""
    user(store, credits=3)

    def start(job_id: str) -> tuple[Job, list[Work], Notification]:
        made = Job(job_id, "tok", 0.0, "http://h")
        made.generations.append(Generation(0, EditChatRequest.from_payload({"prompt": "x"}), 0.0, (1, 1), None, (), ()))
        return made, [Work(1.0, "variation", (job_id, "0", "0"))], Notification(0, "tok", "batch_edit", 0.0, {})

    first = start("j1")
    assert store.rate_hit_reserve_and_start("tok", 10.0, 2, 60.0, "tok", 2, first) == (None, (True, 3, 0), None)
    assert store.get_job("j1") is not None and store.pending_work() == 1 and first[2].id == 1
    refused = store.rate_hit_reserve_and_start("tok", 11.0, 2, 60.0, "tok", 2, start("j2"))
    assert refused == (None, (False, 3, 2), None) and store.get_job("j2") is None and store.pending_work() == 1
    limited = store.rate_hit_reserve_and_start("tok", 12.0, 2, 60.0, "tok", 1, start("j3"))
    assert limited == (10.0, None, None) and store.get_job("j3") is None
    assert [n.id for n in store.notifications("tok")] == [1]
    with pytest.raises(KeyError):
        store.rate_hit_reserve_and_start("nobody", 13.0, 2, 60.0, "nobody", 1, start("j4"))


def test_scripts_dropped_by_redis_are_sent_again(request: pytest.FixtureRequest) -> None:
    """The hot path sends scripts by SHA1 (and several in one pipeline): after a ``SCRIPT FLUSH`` each
    missing one is sent whole, in order, and works as before."""
    url = request.getfixturevalue("redis_url")
    store = RedisStore(url, prefix="script-flush:")
    store.clear(None)
    user(store, credits=10)
    assert store.reserve_credits("tok", 1)[0]
    store.client.script_flush()
    assert store.reserve_credits("tok", 1) == (True, 10, 1)
    store.client.script_flush()
    notes = [Notification(0, "tok", "image_result", 1.0, {}), Notification(0, "tok", "batch_edit", 1.0, {})]
    assert store.settle_and_notify("tok", 2, charge=False, notifications=notes) is None
    assert [n.id for n in notes] == [1, 2]
    kept = store.get_user("tok")
    assert kept is not None and kept.in_progress == 0
    store.client.script_flush()
    store.append_journal(Entry(0, 0.0, "GET", "/a", "", None, 200, None), **ROOMY)  # posted: answered later
    assert store.reserve_credits("tok", 1) == (True, 10, 0)
    store.append_journal(Entry(0, 0.0, "GET", "/b", "", None, 200, None), **ROOMY)
    assert [(e.seq, e.path) for e in store.journal()] == [(1, "/a"), (2, "/b")]
    store.clear(None)


def test_a_clock_moved_by_another_process_is_read_once_without_the_feed(request: pytest.FixtureRequest) -> None:
    """``clock_moved`` reports another process's clock change to the next request (no runtime feed
    here at all), and then nothing until the clock changes again; the memory store never reports."""
    url = request.getfixturevalue("redis_url")
    here, there = (RedisStore(url, seed=1, prefix="clock-moved:") for _ in range(2))
    here.clear(None)
    here.clock_moved()  # subscribes
    assert here.clock_moved() is None
    state: dict[str, object] = {"mode": "manual", "offset": 0.0, "manual": 1234.5}
    there.put_clock_state(state)
    assert here.clock_moved() == state and here.clock_moved() is None
    assert MemoryStore(seed=1).clock_moved() is None
    here.changes.close()


def test_a_forked_child_opens_its_own_connections_and_leaves_the_parents(request: pytest.FixtureRequest) -> None:
    """A store used before ``os.fork`` works in the child on connections of its own (another Redis
    client id, its own change subscription), and the parent's keep working after the child is gone."""
    url = request.getfixturevalue("redis_url")
    store = RedisStore(url, seed=1, prefix="forked:")
    store.clear(None)
    user(store, credits=10)
    assert not store.has_faults()  # subscribed
    parent_id = store.wire.call("CLIENT", "ID")
    pid = os.fork()
    if pid == 0:  # the child: exit code 0 only if every check passed
        code = 1
        try:
            own = store.wire.call("CLIENT", "ID") != parent_id
            reserved = store.reserve_credits("tok", 2) == (True, 10, 0)
            store.add_fault(FaultRule(0, "latency", delay=1.0, times=None))
            code = 0 if own and reserved and store.has_faults() else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.wire.call("CLIENT", "ID") == parent_id
    assert store.has_faults()  # the child's change, heard on the parent's own subscription
    kept = store.get_user("tok")
    assert kept is not None and kept.in_progress == 2
    store.clear(None)


def _start(job_id: str) -> tuple[Job, list[Work], Notification]:
    """What a plain ``/edit-chat`` for ``tok`` starts: a job, its one variation's work, its notification."""
    made = Job(job_id, "tok", 0.0, "http://h")
    made.generations.append(Generation(0, EditChatRequest.from_payload({"prompt": "x"}), 0.0, (1, 1), None, (), ()))
    return made, [Work(1.0, "variation", (job_id, "0", "0"))], Notification(0, "tok", "batch_edit", 0.0, {})


def test_an_admission_on_an_account_kept_before_a_change_elsewhere_is_refused_as_stale(
    request: pytest.FixtureRequest,
) -> None:
    """``get_account`` may answer the copy this process kept, but an admission checked against it after
    another process changed the plan does nothing and answers the changed user (``StaleAccount``), every
    time (Redis may answer that change's writer before any subscriber hears of it, so nothing may trust
    a copy meanwhile); the next ``get_account`` answers the changed one. A user deleted without any
    message (``FLUSHDB``, eviction) is gone for the admission at once."""
    url = request.getfixturevalue("redis_url")
    here, there = (RedisStore(url, seed=1, prefix="account-read:") for _ in range(2))
    here.clear(None)
    user(here, credits=1000)
    for round_ in range(300):
        plan = ("basic", "pro")[round_ % 2]
        kept = here.get_account("tok")
        there.change_user("tok", plan=plan, credits=None, entitlements=None)
        assert kept is not None and kept.version is not None
        with pytest.raises(StaleAccount) as stale:
            here.rate_hit_reserve_and_start(
                "tok", 1.0, 10**6, 60.0, "tok", 1, _start(f"j{round_}"), version=kept.version
            )
        assert stale.value.fresh is not None and stale.value.fresh.plan == plan, round_
        assert (account := here.get_account("tok")) is not None and account.plan == plan, round_
        assert here.get_job(f"j{round_}") is None
    assert here.pending_work() == 0 and here.rate_hit("tok", 2.0, 1, 60.0) is None  # nothing counted
    current = here.get_account("tok")
    assert current is not None
    admitted = here.rate_hit_reserve_and_start("tok", 3.0, 10, 60.0, "tok", 1, _start("j"), version=current.version)
    assert admitted[1] == (True, 1000, 0)
    there.client.delete(there._k("user", "tok"))
    with pytest.raises(StaleAccount) as gone:
        here.rate_hit_reserve_and_start("tok", 4.0, 10, 60.0, "tok", 1, _start("j-gone"), version=current.version)
    assert gone.value.fresh is None and here.get_account("tok") is None
    here.clear(None)
    for each in (here, there):
        each.changes.close()


def test_every_write_of_a_user_names_a_new_version(redis_store: RedisStore) -> None:
    """``put_user``, ``add_user`` and ``change_user`` (of the plan, the entitlements or the credits) each
    store a version no earlier write had, so a copy kept by any process before the write is stale."""
    seen: list[str | None] = []

    def stored() -> str | None:
        read = redis_store.get_user("tok")
        assert read is not None and read.version is not None and read.version not in seen
        seen.append(read.version)
        return read.version

    redis_store.add_user(User("tok", "pro", 10))
    first = stored()
    redis_store.put_user(User("tok", "pro", 10))
    stored()
    redis_store.change_user("tok", plan="free", credits=None, entitlements=None)
    stored()
    redis_store.change_user("tok", plan=None, credits=None, entitlements=frozenset({"x"}))
    stored()
    redis_store.change_user("tok", plan=None, credits=5.0, entitlements=None)
    stored()
    redis_store.clear(None)
    redis_store.add_user(User("tok", "pro", 10))
    assert stored() != first
    assert redis_store.reserve_credits("tok", 1)[0]
    redis_store.settle_credits("tok", 1, charge=True)
    kept = redis_store.get_user("tok")
    assert kept is not None and kept.version == seen[-1]  # credits alone: what the version names is unchanged


def test_a_change_is_published_before_its_writer_returns(redis_store: RedisStore) -> None:
    """A fault rule added here reaches another store's subscription before ``add_fault`` returns (one more
    round trip after the publish), so a request that process serves next sees the rule."""
    there = RedisStore(redis_store.url, prefix=redis_store.prefix)
    assert not there.has_faults()  # subscribes
    for _ in range(200):
        rule = redis_store.add_fault(FaultRule(0, "error", status=500))
        assert there.has_faults()
        redis_store.remove_fault(rule.id)
        assert not there.has_faults()
    there.changes.close()


def test_a_failed_posted_write_is_logged_not_raised_into_the_next_call(
    redis_store: RedisStore, caplog: pytest.LogCaptureFixture
) -> None:
    """The journal's append is posted (its reply read with the next exchange): when it fails (here the
    journal's key holds a string), the next, unrelated call still answers, and the failure is counted and
    logged."""
    user(redis_store)
    redis_store.client.set(redis_store._k("journal"), "not a list")
    redis_store.append_journal(Entry(0, 0.0, "GET", "/nope", "", None, 404, None), **ROOMY)
    assert (kept := redis_store.get_user("tok")) is not None and kept.credits == 10
    assert redis_store.wire.posted_errors == 1 and "posted Redis script" in caplog.text
    redis_store.client.delete(redis_store._k("journal"))


def test_posted_replies_are_read_before_they_pile_up(redis_store: RedisStore) -> None:
    """Requests that make no other Redis call (404s on a manual clock) leave at most ``POSTED_MAX`` replies
    unread: nothing grows in the process, the socket or Redis's output buffer."""
    for _ in range(5 * redis_store.wire.POSTED_MAX):
        redis_store.append_journal(Entry(0, 0.0, "GET", "/nope", "", None, 404, None), **ROOMY)
        assert len(redis_store.wire._owed) < redis_store.wire.POSTED_MAX
    assert redis_store.journal()[-1].seq == 5 * redis_store.wire.POSTED_MAX


def test_another_threads_call_leaves_a_steps_kept_write_alone(redis_store: RedisStore) -> None:
    """While ``as_one_step`` keeps its compare and set for the step's end, a call from another thread (a test
    reading a ``LiveServer``'s backend) neither sends it nor takes it over: it reads the job as stored,
    and the step still ends in one script, once."""
    job(redis_store, "j", 1.0, 1.0, "processing")
    user(redis_store)
    seen: list[str] = []
    runs: list[int] = []

    def read_elsewhere() -> None:
        stored = redis_store.get_job("j")
        seen.append("none" if stored is None else stored.generations[0].variations[0].status)

    def step() -> None:
        runs.append(1)

        def complete(record: Job) -> Job:
            record.generations[0].variations[0].status = "completed"
            return record

        redis_store.update_job("j", complete)
        reader = threading.Thread(target=read_elsewhere)
        reader.start()
        reader.join()
        redis_store.settle_and_notify("tok", 0, charge=False, notifications=[])

    redis_store.as_one_step(step)
    stored = redis_store.get_job("j")
    assert seen == ["processing"] and runs == [1]
    assert stored is not None and stored.generations[0].variations[0].status == "completed"


def test_a_step_that_meets_a_conflict_runs_again_and_stores_once(store: Store) -> None:
    """``as_one_step``: when another process changed the job between this step's read and its end, nothing
    of the step was stored (not its notification either) and it runs again on the job as stored."""
    job(store, "j", 1.0, 1.0, "processing", "processing")
    user(store)
    other = RedisStore(store.url, prefix=store.prefix) if isinstance(store, RedisStore) else store
    runs: list[int] = []

    def set_status(index: int, status: str, record: Job) -> Job:
        record.generations[0].variations[index].status = status
        return record

    def step() -> Job | None:
        runs.append(1)
        done = store.update_job("j", lambda record: set_status(0, "completed", record))
        if len(runs) == 1:
            other.update_job("j", lambda record: set_status(1, "failed", record))
        store.settle_and_notify("tok", 0, charge=False, notifications=[Notification(0, "tok", "x", 1.0, {})])
        return done

    assert store.as_one_step(step) is not None
    stored = store.get_job("j")
    assert stored is not None and [v.status for v in stored.generations[0].variations] == ["completed", "failed"]
    assert len(store.notifications("tok")) == 1 and len(runs) == (2 if isinstance(store, RedisStore) else 1)


def test_the_step_ending_a_claimed_work_hands_out_the_next(store: Store) -> None:
    """The step that ends the work ``claim_due`` handed out releases it; ``claim_due(done=it)`` then hands
    out the next due work (on Redis claimed by that step's script), and nothing is left leased."""
    job(store, "j", 1.0, 1.0, "processing", "processing")
    user(store)
    for index in ("0", "1"):
        store.schedule(Work(1.0, "variation", ("j", "0", index)))
    first = store.claim_due(5.0)
    assert first is not None and first.key == ("j", "0", "0")

    def step() -> None:
        store.update_job("j", lambda record: record)
        store.settle_and_notify("tok", 0, charge=False, notifications=[])

    store.as_one_step(step)
    second = store.claim_due(5.0, done=first)
    assert second is not None and second.key == ("j", "0", "1")
    assert store.claim_due(5.0, done=second) is None and store.pending_work() == 0
    if isinstance(store, RedisStore):
        assert store.client.zcard(store._k("leases")) == 0


def test_one_steps_notifications_of_several_owners_are_numbered_in_order(store: Store) -> None:
    """``settle_and_notify`` with notifications of two owners (a step's are one owner's; the store takes
    any): ids follow the list's order across owners, and each lands in its owner's log."""
    user(store)
    notes = [Notification(0, owner, "x", 1.0, {}) for owner in ("tok", "tok", "other", "tok")]
    store.settle_and_notify("tok", 0, charge=False, notifications=notes)
    assert [n.id for n in notes] == [1, 2, 3, 4]
    assert [n.id for n in store.notifications("tok")] == [1, 2, 4]
    assert [n.id for n in store.notifications("other")] == [3] and store.newest_notification_id() == 4


def test_work_whose_lease_ran_out_is_claimed_again_at_its_due(request: pytest.FixtureRequest) -> None:
    """A process that claimed work and died holds it only for its lease: then the claim puts it back at its
    own due time (read from the leased member without decoding it) and another claim gets it."""
    store = RedisStore(request.getfixturevalue("redis_url"), prefix="lease-out:", lease=0.0)
    store.clear(None)
    store.schedule(Work(1e21, "webhook_watch", ("d", "1", "2.5")))
    store.schedule(Work(2.5, "variation", ("j", "0", "0")))
    first = store.claim_due(3.0)
    assert first is not None and first.key == ("j", "0", "0") and store.next_due() == 1e21
    again = store.claim_due(3.0)
    assert again is not None and again.key == first.key and again.due == 2.5 and again.seq == first.seq
    store.clear(None)
    store.changes.close()


def test_a_steps_events_are_one_message_one_per_line(redis_store: RedisStore) -> None:
    """``start_generation`` publishes its work's due time and its notification as one message on the events
    channel, one event per line in the order they happened, each read back by ``decode_event``."""
    pubsub = redis_store.client.pubsub()
    pubsub.subscribe(redis_store.channel)
    assert pubsub.get_message(timeout=5) is not None  # the subscription's confirmation
    redis_store.listen(10)
    made = job(redis_store, "j", 1.0, 1.0, "processing")
    note = Notification(0, "tok", "batch_edit", 1.0, {"a": "line\nbreak"})
    redis_store.start_generation(made, [Work(4.0, "variation", ("j", "0", "0"))], note, new=False)
    message = pubsub.get_message(timeout=5)
    assert message is not None
    events = [redis_store.decode_event(line) for line in message["data"].split(b"\n")]
    assert events[0] == ("due", 4.0) and len(events) == 2
    assert events[1] is not None and events[1][0] == "notification" and events[1][1] == note
    pubsub.close()


def _started(store: Store, job_id: str) -> Job:
    """A job admitted and started by ``rate_hit_reserve_and_start``, its one variation due at 1.0."""
    made = Job(job_id, "tok", 0.0, "http://h")
    generation = Generation(0, EditChatRequest.from_payload({"prompt": "x"}), 0.0, (1, 1), None, (), ())
    generation.variations = [Variation(0, 1.0, 1.0)]
    made.generations.append(generation)
    start = (made, [Work(1.0, "variation", (job_id, "0", "0"))], Notification(0, "tok", "batch_edit", 0.0, {}))
    assert store.rate_hit_reserve_and_start("tok", 0.0, 100, 60.0, "tok", 1, start)[1] == (True, 10, 0)
    return made


def _complete(store: Store, job_id: str, seen: list[Job]) -> None:
    def complete(record: Job) -> Job:
        seen.append(record)
        record.generations[0].variations[0].status = "completed"
        return record

    def step() -> None:
        store.update_job(job_id, complete)
        store.settle_and_notify("tok", 1, charge=True, notifications=[Notification(0, "tok", "x", 1.0, {})])

    store.as_one_step(step)


def test_a_variations_end_starts_from_the_job_this_process_stored(redis_store: RedisStore) -> None:
    """The job admitted here, read ahead unchanged by the claim, is not decoded again: the end's change
    gets the object this process stored, and the job stored after is the changed one."""
    user(redis_store)
    made = _started(redis_store, "j")
    work = redis_store.claim_due(2.0)
    assert work is not None and work.key[0] == "j"
    seen: list[Job] = []
    _complete(redis_store, "j", seen)
    stored = redis_store.get_job("j")
    assert seen == [made] and seen[0] is made
    assert stored is not None and stored.generations[0].variations[0].status == "completed"


def test_records_stored_here_are_kept_while_later_ones_come_the_oldest_going_first(
    redis_store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many jobs in flight in one process (latency under load) do not drop every kept record at once:
    past ``WRITTEN_KEPT`` only the oldest goes, and the newest job's end still starts from its object."""
    monkeypatch.setattr(RedisStore, "WRITTEN_KEPT", 4)
    for i in range(5):
        redis_store._keep_written(f"old{i}", b"{}", Job(f"old{i}", "tok", 0.0, "http://h"))
    assert list(redis_store._written) == ["old1", "old2", "old3", "old4"]
    user(redis_store)
    made = _started(redis_store, "j")  # its job and its work: the two oldest go
    assert len(redis_store._written) == 4 and "old1" not in redis_store._written
    assert redis_store.claim_due(2.0) is not None
    seen: list[Job] = []
    _complete(redis_store, "j", seen)
    assert seen[0] is made


def test_keys_of_long_tokens_are_made_each_time_not_kept(redis_store: RedisStore) -> None:
    """Any bearer token reaches ``get_user``: a long one (a request head may hold kilobytes) is not kept
    per process, a short one is."""
    long_token, short_token = "t" * 5000, "short"
    assert redis_store.get_user(long_token) is None and redis_store.get_user(short_token) is None
    assert long_token not in redis_store._user_keys and short_token in redis_store._user_keys
    user(redis_store, long_token)
    assert redis_store.get_user(long_token) == User(long_token, "pro", 10)
    assert long_token not in redis_store._user_keys


def test_a_job_changed_elsewhere_since_this_process_stored_it_is_read_as_stored(redis_store: RedisStore) -> None:
    """Another process changed the job after this one stored it: the end starts from the stored job (with
    that change), not from the object kept here, and both changes are kept."""
    user(redis_store)
    made = _started(redis_store, "j")
    other = RedisStore(redis_store.url, prefix=redis_store.prefix)

    def touched(record: Job) -> Job:
        record.updated_at = 5.0
        return record

    other.update_job("j", touched)
    assert redis_store.claim_due(2.0) is not None
    seen: list[Job] = []
    _complete(redis_store, "j", seen)
    stored = redis_store.get_job("j")
    assert len(seen) == 1 and seen[0] is not made and seen[0].updated_at == 5.0
    assert stored is not None and stored.updated_at == 5.0
    assert stored.generations[0].variations[0].status == "completed"
    other.changes.close()


def test_a_wire_call_answering_an_error_raises_it_and_the_connection_serves_on(redis_store: RedisStore) -> None:
    """``Wire.call`` (one command, nothing posted waiting: the hot path) raises an error reply as redis-py
    would, and the next call on the same connection reads its own reply."""
    import redis as redis_py

    key = redis_store._k("not-a-number")
    redis_store.wire.call("SET", key, "text")
    with pytest.raises(redis_py.ResponseError):
        redis_store.wire.call("INCR", key)
    assert redis_store.wire.call("GET", key) == b"text"


def test_every_request_s_store_calls_answer_an_unreachable_redis_with_store_unavailable() -> None:
    """The methods every request calls guard themselves inline (``with self._call``), the others by a
    decorator: both turn a refused connection into ``StoreUnavailable`` (a 503), never redis-py's error."""
    store = RedisStore("redis://127.0.0.1:1/0")  # nothing listens on port 1
    calls: list[Callable[[], object]] = [
        lambda: store.get_account("tok"),
        lambda: store.get_user("tok"),
        lambda: store.get_job("j"),
        lambda: store.update_job("j", lambda job: job),
        lambda: store.claim_due(1.0),
        lambda: store.next_due(),
        lambda: store.has_faults(),
        lambda: store.clock_moved(),
        lambda: _started(store, "j"),
        lambda: store.settle_and_notify("tok", 1.0, charge=True, notifications=[]),
        lambda: store.as_one_step(lambda: store.get_job("j")),
        lambda: store.next_id(),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable, match="unreachable"):
            call()
    store.changes.close()


def test_commands_are_packed_as_hiredis_packs_them() -> None:
    """``Wire`` writes RESP itself: byte for byte what ``hiredis.pack_command`` writes, for every kind of
    argument the store passes (``str``, ``bytes``, ``int``, ``float``; not their subclasses, nor
    ``memoryview``), lengths past the heads made ahead and commands of many arguments."""
    import hiredis

    from mock_server.store.wire import _pack

    commands: list[tuple[str | bytes | int | float, ...]] = [
        ("GET", "k"),
        (
            "EVALSHA",
            "a" * 40,
            2,
            "k1",
            b"k2",
            "\u00e9t\u00e9 \u2603",
            b"\x00\xff",
            0,
            -7,
            2**70,
            1.5,
            -0.0,
            1e300,
            0.1 + 0.2,
        ),
        ("SET", "x" * 511, "y" * 512, b"z" * 5000),
        tuple(str(i) for i in range(200)),
        ("PING",),
    ]
    for command in commands:
        assert _pack(command) == hiredis.pack_command(command)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _pack(("SET", "k", None))  # type: ignore[arg-type]


def test_hits_at_one_instant_each_count(store: Store) -> None:
    """Hits at the same clock time are distinct hits (on Redis each is named by its process and a count)."""
    assert store.rate_hit("k", 5.0, 2, 60.0) is None
    assert store.rate_hit("k", 5.0, 2, 60.0) is None
    assert store.rate_hit("k", 5.0, 2, 60.0) == 5.0


def test_past_the_kept_users_cap_only_the_oldest_copy_goes(
    redis_store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``KEPT`` tokens the copy read longest ago is dropped, not every copy (which would make every
    user's next request read afresh at once)."""
    monkeypatch.setattr(_Keys, "KEPT", 3)
    for token in ("a", "b", "c", "d"):
        user(redis_store, token)
        assert redis_store.get_user(token) is not None
    assert list(redis_store._accounts) == ["b", "c", "d"]
    redis_store.get_user("b")  # read afresh: now the newest copy
    user(redis_store, "e")
    redis_store.get_user("e")
    assert list(redis_store._accounts) == ["d", "b", "e"]


def test_a_quiet_check_of_the_changes_answers_until_its_loop_runs_on(request: pytest.FixtureRequest) -> None:
    """A request checks the change subscription three times (clock, faults twice). On the loop, a check
    that found nothing answers the others until the loop runs what it scheduled after that check, then
    the socket is read again: a change is heard one loop round later at most, before any request that
    arrived after it runs. Off the loop every check reads the socket."""
    url = request.getfixturevalue("redis_url")
    here, there = (RedisStore(url, seed=1, prefix="quiet-checks:") for _ in range(2))
    changes = here.changes
    changes.poll()  # subscribes

    async def checks() -> list[bool]:
        loop = asyncio.get_running_loop()
        seen = [changes.poll(loop)]
        there.clear_faults()  # a change: its message is in this subscription's socket when it returns
        seen.append(changes.poll(loop))  # the quiet check answers
        await asyncio.sleep(0)  # the loop runs what it scheduled after that check
        seen.append(changes.poll(loop))
        return seen

    generation = changes.generation
    assert asyncio.run(checks()) == [True, True, False]
    assert changes.generation == generation + 1
    there.clear_faults()
    assert changes.poll() is False  # no loop: read at once
    assert here.wire.loop_here() is None  # what a store passes off its loop
    here.changes.close()
    there.changes.close()


def test_a_quiet_check_on_a_loop_that_closed_binds_no_other_loop(request: pytest.FixtureRequest) -> None:
    """A loop closed before it ran what it scheduled (a test client's portal ends): the next loop's
    checks read the socket."""
    url = request.getfixturevalue("redis_url")
    here, there = (RedisStore(url, seed=1, prefix="quiet-closed:") for _ in range(2))
    changes = here.changes
    changes.poll()
    first, second = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        assert changes.poll(first) is True  # quiet on a loop that will never run again
        first.close()
        there.clear_faults()
        assert changes.poll(second) is False
    finally:
        second.close()
        here.changes.close()
        there.changes.close()


def _image_result(links: Links, owner: str = "tok") -> ImageResult:
    data = {"id_task": "j1", "image_index": 0, "group_index": 1, "output_link": None, "output_thumbnail_link": None}
    return ImageResult(owner, 5.0, data, links, "http://x")


def _signed(links: Links) -> dict[str, str]:
    return {
        "output_link": links.output_link("http://x", "j1", 0, 1, "full"),
        "output_thumbnail_link": links.output_link("http://x", "j1", 0, 1, "thumb"),
    }


def _shown_links(notification: Notification) -> dict[str, Any]:
    shown = notification.as_json()["data"]
    return {key: shown[key] for key in ("output_link", "output_thumbnail_link")}


def test_an_image_result_is_kept_unsigned_and_every_reader_signs_it_alike(
    redis_store: RedisStore, request: pytest.FixtureRequest
) -> None:
    links = Links(Signer(redis_store.shared_secret("k" * 32)))
    redis_store.append_notification(_image_result(links))
    kept = json.loads(redis_store.client.hget("redis-only:notes:tok", "1") or b"")
    assert kept["data"]["output_link"] is None and kept["unsigned"] == ["http://x", links.signer.fingerprint]
    other = RedisStore(request.getfixturevalue("redis_url"), seed=1, prefix="redis-only:")  # another process
    try:
        for reader in (redis_store, other):
            (read,) = reader.notifications("tok")
            assert read.id == 1 and _shown_links(read) == _signed(links)
        heard = other.decode_event(typing.cast(bytes, redis_store.client.hget("redis-only:notes:tok", "1")))
        assert heard is not None and _shown_links(typing.cast(Notification, heard[1])) == _signed(links)
    finally:
        other.changes.close()


def test_a_deleted_image_result_is_kept_with_its_links_signed(redis_store: RedisStore) -> None:
    links = Links(Signer(redis_store.shared_secret("k" * 32)))
    redis_store.append_notification(_image_result(links))
    deleted = redis_store.delete_notification("tok", 1)
    assert deleted is not None and deleted.deleted
    kept = json.loads(redis_store.client.hget("redis-only:notes:tok", "1") or b"")
    assert "unsigned" not in kept and {key: kept["data"][key] for key in _signed(links)} == _signed(links)
    (read,) = redis_store.notifications("tok")
    assert read.deleted and _shown_links(read) == _signed(links)


def test_a_reader_that_missed_a_reset_elsewhere_signs_with_the_new_key(
    redis_store: RedisStore, request: pytest.FixtureRequest
) -> None:
    redis_store.shared_secret("old" * 11)
    other = RedisStore(request.getfixturevalue("redis_url"), seed=1, prefix="redis-only:")  # another process
    try:
        other.clear(None)
        links = Links(Signer(other.shared_secret("new" * 11)))
        other.append_notification(_image_result(links))
        (read,) = redis_store.notifications("tok")
        assert _shown_links(read) == _signed(links)
    finally:
        other.changes.close()


def test_a_notification_signed_before_it_was_stored_is_kept_signed(redis_store: RedisStore) -> None:
    links = Links(Signer(redis_store.shared_secret("k" * 32)))
    result = _image_result(links)
    assert _shown_links(result) == _signed(links)  # read (a stream, a webhook body) before the append
    redis_store.append_notification(result)
    kept = json.loads(redis_store.client.hget("redis-only:notes:tok", "1") or b"")
    assert "unsigned" not in kept and {key: kept["data"][key] for key in _signed(links)} == _signed(links)


def test_without_a_key_an_image_result_shows_no_links_and_a_deletion_keeps_them_to_sign(
    redis_store: RedisStore, request: pytest.FixtureRequest
) -> None:
    links = Links(Signer(redis_store.shared_secret("k" * 32)))
    redis_store.append_notification(_image_result(links))
    redis_store.client.delete("redis-only:secret")  # evicted, or read between a reset and its new key
    other = RedisStore(request.getfixturevalue("redis_url"), seed=1, prefix="redis-only:")
    try:
        (read,) = other.notifications("tok")
        assert _shown_links(read) == {"output_link": None, "output_thumbnail_link": None}
        assert other.delete_notification("tok", 1) is not None
        kept = json.loads(redis_store.client.hget("redis-only:notes:tok", "1") or b"")
        assert kept["deleted"] and kept["unsigned"] == ["http://x", links.signer.fingerprint]
        other.shared_secret("k" * 32)
        (read,) = other.notifications("tok")
        assert read.deleted and _shown_links(read) == _signed(links)
    finally:
        other.changes.close()


def test_a_key_gone_since_is_read_for_once_not_on_every_read(redis_store: RedisStore) -> None:
    old = Links(Signer("old" * 11))
    redis_store.append_notification(_image_result(old))  # stored before a reset drew this mock's key
    links = Links(Signer(redis_store.shared_secret("new" * 11)))
    before = int(redis_store.client.info("stats")["total_commands_processed"])
    for _ in range(3):
        (read,) = redis_store.notifications("tok")
        assert _shown_links(read) == _signed(links)
    commands = int(redis_store.client.info("stats")["total_commands_processed"]) - before - 1
    assert commands == 3 * 2 + 1  # each list: ZRANGEBYSCORE and HMGET; the key read once


def test_notifications_are_published_only_while_a_process_listens(redis_store: RedisStore) -> None:
    """Without ``listen`` (no stream open anywhere) a step publishes its work's due time alone and a step
    with only notifications publishes nothing; ``listen`` makes every process's notifications published for
    the seconds it names, and a reset elsewhere keeps that (streams end on it and open again)."""
    pubsub = redis_store.client.pubsub()
    pubsub.subscribe(redis_store.channel)
    assert pubsub.get_message(timeout=5) is not None  # the subscription's confirmation
    redis_store.client.delete(redis_store.prefix + "listening")  # an earlier test's listen, kept by clear
    made = job(redis_store, "j", 1.0, 1.0, "processing")
    note = Notification(0, "tok", "batch_edit", 1.0, {})
    redis_store.start_generation(made, [Work(4.0, "variation", ("j", "0", "0"))], note, new=False)
    redis_store.append_notification(Notification(0, "tok", "x", 1.0, {}))
    redis_store.listen(10)
    redis_store.append_notification(Notification(0, "tok", "y", 1.0, {}))
    heard = [pubsub.get_message(timeout=5) for _ in range(2)]
    assert [m["data"] for m in heard if m is not None][0] == b'{"t":"due","at":4.0}'
    last = heard[1]
    assert last is not None and redis_store.decode_event(last["data"]) == (
        "notification",
        Notification(3, "tok", "y", 1.0, {}),
    )
    assert 0 < redis_store.client.pttl(redis_store.prefix + "listening") <= 10_000
    redis_store.clear(None)
    assert redis_store.client.exists(redis_store.prefix + "listening")
    pubsub.close()
