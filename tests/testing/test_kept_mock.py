"""Kept mocks: an entry of ``mock_piktid`` may get the app an earlier entry built, renewed, and sees none of it.

Each test enters two mocks with the same settings one after the other: the second gets the first's
app, backend and loop (asserted, so the reuse is really exercised), and nothing of the first reaches
it: state, faults, clock, journal, webhooks, notifications, settings changes, listeners, background
tasks. Memory store only: a shared store's mocks are never kept.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from httpx_sse import connect_sse

from mock_server import Settings
from mock_server.backend import Event
from mock_server.testing import MockControl, mock_piktid, sample_image
from mock_server.testing._bridge import MAX_KEPT, _kept_key

pytestmark = pytest.mark.memory_only

API = "https://v2.api.piktid.com"
TOKEN = "kept-user"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JOB = {"prompt": "a red bicycle", "size": "1K"}


@pytest.fixture
def api() -> Iterator[httpx.Client]:
    with httpx.Client(base_url=API, headers=AUTH, timeout=5) as client:
        yield client


def test_the_next_entry_gets_the_kept_app_with_none_of_the_last_entrys_state(api: httpx.Client) -> None:
    with mock_piktid() as first:
        first.set_account(TOKEN, plan="free", credits=40)
        upload = api.post("/upload", json={"filename": "a.png"}).json()
        httpx.put(upload["upload_url"], headers={"Content-Type": "image/png"}, content=sample_image())
        job_id = api.post("/edit-chat", json={**JOB, "image_ids": [upload["file_id"]]}).json()["job_id"]
        api.put("/webhooks", json={"url": "http://127.0.0.1:9/closed"})
        first.fail_next(503, path="/jobs", times=None)
        assert first.journal() and first.notifications()
        built = first.backend
    with mock_piktid() as second:
        assert second.backend is built  # kept, not rebuilt
        assert second.journal() == [] and second.notifications() == [] and second.deliveries() == []
        assert api.get("/_mock/faults").json() == []
        assert second.pending() == 0
        assert second.account(TOKEN) is None
        assert api.get(f"/jobs/{job_id}/status").status_code == 404
        assert api.post("/edit-chat", json={**JOB, "image_ids": [upload["file_id"]]}).status_code == 404
        assert api.get("/webhooks").status_code == 404
        assert second.account(TOKEN)["credits"] == Settings().open_credits  # a new open-mode user


def test_the_clock_starts_over_real_and_without_offset(api: httpx.Client) -> None:
    with mock_piktid() as first:
        first.advance(3600)
        first.set_clock("manual")
        first.advance(60)
    with mock_piktid() as second:
        clock = second.call(lambda backend: backend.clock())
        assert clock["mode"] == "real" and abs(clock["now"] - time.time()) < 5
        assert api.post("/edit-chat", json=JOB).status_code == 202
        assert second.pending() == 0  # latency 0 on a real clock: done at once


def test_a_manual_clock_starts_over_at_its_start(api: httpx.Client) -> None:
    with mock_piktid(clock="manual") as first:
        start = first.now()
        first.advance(100)
    with mock_piktid(clock="manual") as second:
        assert second.now() == start


def test_settings_a_test_changed_do_not_reach_the_next_entry(api: httpx.Client) -> None:
    with mock_piktid() as first:
        first.backend.settings.latency = 60.0
        first.backend.settings.open_credits = 1.0
    with mock_piktid() as second:
        assert (
            second.backend.settings.latency == 0.0 and second.backend.settings.open_credits == Settings().open_credits
        )
        job_id = api.post("/edit-chat", json=JOB).json()["job_id"]
        assert api.get(f"/jobs/{job_id}/results").json()["results"][0]["status"] == "completed"


def test_listeners_a_test_added_are_dropped(api: httpx.Client) -> None:
    heard: list[Event] = []
    with mock_piktid() as first:
        first.backend.listeners.append(heard.append)
    with mock_piktid():
        api.post("/edit-chat", json=JOB)
    assert heard == []


def test_streams_webhook_attempts_and_tasks_left_running_end_with_the_entry(api: httpx.Client) -> None:
    left: list[asyncio.Task[None]] = []
    with mock_piktid() as first:
        opened = connect_sse(api, "GET", "/notifications/events")
        stream = opened.__enter__()  # left open on purpose
        assert next(stream.iter_sse()).event == "backfill_complete"
        api.put("/webhooks", json={"url": "http://127.0.0.1:9/closed"})
        first.call(lambda _: left.append(asyncio.get_running_loop().create_task(asyncio.sleep(3600))))
        assert first.open_streams() == 1
    with mock_piktid() as second:
        assert second.open_streams() == 0 and second.deliveries_in_flight() == 0
        assert left[0].cancelled()
    opened.__exit__(None, None, None)


def test_seeded_ids_repeat_as_on_a_new_build(api: httpx.Client) -> None:
    def first_job(control: MockControl) -> str:
        return str(api.post("/edit-chat", json=JOB).json()["job_id"])

    with mock_piktid(seed=11) as first:
        built = first.backend
        seeded = first_job(first)
    with mock_piktid(seed=11) as second:
        assert second.backend is built and first_job(second) == seeded


def test_the_control_still_reads_its_mock_after_the_entry(api: httpx.Client) -> None:
    with mock_piktid() as control:
        api.post("/edit-chat", json=JOB)
    assert [entry["path"] for entry in control.journal()] == ["/edit-chat"]


def test_only_a_mock_built_with_the_same_settings_is_kept_for_an_entry() -> None:
    with mock_piktid(latency=5) as slow:
        built = slow.backend
    with mock_piktid() as other:
        assert other.backend is not built
        assert other.backend.settings.latency == 0.0


def test_entries_at_the_same_time_get_different_mocks() -> None:
    with mock_piktid() as outer, mock_piktid(base_url="https://other.example") as inner:
        assert outer.backend is not inner.backend
    with mock_piktid() as a, mock_piktid() as b:
        assert a.backend is not b.backend


def test_what_cannot_be_kept() -> None:
    assert _kept_key(Settings(store="memory")) is not None
    assert _kept_key(Settings(store="redis://127.0.0.1:1/0")) is None  # a shared store's mock is running state
    assert _kept_key(Settings(store="memory", extra_users=[{"token": "t"}])) is None
    listed = Settings(store="memory", blocklist=["x"])  # type: ignore[arg-type]  # Settings takes a list as the tuple
    assert _kept_key(listed) is not None and _kept_key(listed) == _kept_key(Settings(store="memory", blocklist=("x",)))
    assert MAX_KEPT >= 1


def test_a_users_file_is_read_again_on_renewal(tmp_path: object, api: httpx.Client) -> None:
    from pathlib import Path

    users = Path(str(tmp_path)) / "users.json"
    users.write_text(json.dumps({"users": [{"token": "first-user", "plan": "pro", "credits": 5}]}))
    settings = Settings(users_file=str(users), strict=True)
    with mock_piktid(settings=settings) as first:
        assert first.account("first-user") is not None
        built = first.backend
    users.write_text(json.dumps({"users": [{"token": "second-user", "plan": "pro", "credits": 7}]}))
    with mock_piktid(settings=settings) as second:
        assert second.backend is built
        assert second.account("first-user") is None and second.account("second-user")["credits"] == 7
