"""``GET /notifications/events``: the v2 backfill protocol, ids and resume, fan-out, isolation, cleanup."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests
from events_support import LATENCY, OTHER, TOKEN, Frame, SseStream, api, auth, has_id, start_job, wait_until

from mock_server.testing import LiveServer

Open = Callable[..., SseStream]


def ids(frames: list[Frame]) -> list[int]:
    return [int(f.id) for f in frames]


def image_results(frames: list[Frame]) -> list[dict]:
    return [f.json["data"] for f in frames if f.name == "image_result"]


def last_notification(server: LiveServer, user: str = TOKEN) -> int:
    return server.control.notifications(user)[-1]["id"]


def test_backfill_frames_then_one_backfill_complete_then_live_data_frames(
    server: LiveServer, open_stream: Open
) -> None:
    job = start_job(server, TOKEN, variations=2)
    stream = open_stream(server)
    server.control.advance(2 * LATENCY)
    live = stream.wait_live(has_id(last_notification(server)), "the job's live events")
    frames = stream.frames.items()
    complete = [f for f in frames if f.event == "backfill_complete"]
    assert [f.event for f in frames[:2]] == ["backfill", "backfill_complete"]
    assert frames[0].json["name"] == "batch_edit" and frames[0].json["data"]["status"] == "processing"
    assert len(complete) == 1 and complete[0].json == {}
    assert [(n["name"], n["data"]["status"]) for n in (f.json for f in live)] == [
        ("image_result", "completed"),
        ("image_result", "completed"),
        ("batch_edit", "completed"),
    ]
    assert all(f.json["data"]["id_task"] == job for f in live)
    assert all(f.id == str(f.json["id"]) for f in frames if f.event != "backfill_complete")
    assert ids(live) == sorted(ids(live)) and ids(live)[0] > int(frames[0].id)


def test_every_frame_is_notification_shaped(server: LiveServer, open_stream: Open) -> None:
    start_job(server, TOKEN)
    server.control.advance(LATENCY)
    stream = open_stream(server)
    for frame in stream.backfill():
        assert set(frame.json) == {"id", "name", "data", "timestamp"}
        assert isinstance(frame.json["id"], int) and isinstance(frame.json["timestamp"], float)


def test_backfill_is_oldest_first_and_limited_to_the_horizon(server: LiveServer, open_stream: Open) -> None:
    horizon = server.backend.settings.backfill_horizon
    old_job = start_job(server, TOKEN)
    server.control.advance(horizon)
    new_job = start_job(server, TOKEN)
    now = server.control.now()
    at_horizon = open_stream(server).backfill()
    server.control.advance(0.5)
    past_horizon = open_stream(server).backfill()
    assert at_horizon[0].json["data"]["id_task"] == old_job and at_horizon[0].json["timestamp"] == now - horizon
    assert ids(at_horizon) == sorted(ids(at_horizon))
    assert [f.json["timestamp"] for f in at_horizon] == sorted(f.json["timestamp"] for f in at_horizon)
    old = [f for f in past_horizon if f.json["data"]["id_task"] == old_job]
    assert [f.json["name"] for f in old] == ["image_result", "batch_edit"]
    assert all(f.json["timestamp"] >= server.control.now() - horizon for f in past_horizon)
    assert any(f.json["data"]["id_task"] == new_job for f in past_horizon)


def test_last_event_id_resumes_after_that_id(server: LiveServer, open_stream: Open) -> None:
    start_job(server, TOKEN, variations=3)
    server.control.advance(3 * LATENCY)
    everything = open_stream(server).backfill()
    resume_after = everything[1].id
    resumed = open_stream(server, headers={"Last-Event-ID": resume_after})
    assert ids(resumed.backfill()) == [i for i in ids(everything) if i > int(resume_after)]
    at_end = open_stream(server, headers={"Last-Event-ID": everything[-1].id})
    complete = at_end.frames.items()
    assert [f.event for f in complete] == ["backfill_complete"] and complete[0].id == everything[-1].id


@pytest.mark.parametrize("header", ["abc", "-3", "1.5", b"\xb2"])
def test_a_last_event_id_that_is_no_id_replays_everything(
    server: LiveServer, open_stream: Open, header: str | bytes
) -> None:
    start_job(server, TOKEN)
    assert ids(open_stream(server, headers={"Last-Event-ID": header}).backfill()) == ids(open_stream(server).backfill())


def test_replay_on_reconnect_until_deleted(server: LiveServer, open_stream: Open) -> None:
    start_job(server, TOKEN, variations=2)
    first = open_stream(server)
    server.control.advance(2 * LATENCY)
    seen = first.wait_live(has_id(last_notification(server)), "the live events")
    first.close()
    replayed = open_stream(server).backfill()
    assert set(ids(seen)) <= set(ids(replayed))
    consumed = [f for f in seen if f.name == "image_result"]
    for frame in consumed:
        assert api(server, "DELETE", f"/notifications/{frame.id}", TOKEN).status_code == 200
    after_delete = open_stream(server).backfill()
    assert set(ids(after_delete)) == set(ids(replayed)) - set(ids(consumed))


def test_several_streams_of_one_user_each_get_every_event(server: LiveServer, open_stream: Open) -> None:
    streams = [open_stream(server) for _ in range(3)]
    job = start_job(server, TOKEN, variations=4)
    server.control.advance(4 * LATENCY)
    last = last_notification(server)
    for stream in streams:
        live = stream.wait_live(has_id(last), "every event on every stream")
        assert sorted(r["group_index"] for r in image_results(live)) == [0, 1, 2, 3]
        assert {r["id_task"] for r in image_results(live)} == {job}
        assert ids(live) == ids(streams[0].live())


def test_streams_are_isolated_between_users(server: LiveServer, open_stream: Open) -> None:
    alice, bob = open_stream(server, TOKEN), open_stream(server, OTHER)
    alice_job = start_job(server, TOKEN)
    bob_job = start_job(server, OTHER)
    server.control.advance(LATENCY)
    alice.wait_live(has_id(last_notification(server, TOKEN)), "alice's events")
    bob.wait_live(has_id(last_notification(server, OTHER)), "bob's events")
    assert {f.json["data"]["id_task"] for f in alice.live()} == {alice_job}
    assert {f.json["data"]["id_task"] for f in bob.live()} == {bob_job}
    assert {f.json["data"]["id_task"] for f in open_stream(server, OTHER).backfill()} == {bob_job}


def test_token_may_come_from_the_query_string(server: LiveServer, open_stream: Open) -> None:
    job = start_job(server, TOKEN)
    stream = open_stream(server, None, params={"token": TOKEN})
    assert {f.json["data"]["id_task"] for f in stream.backfill()} == {job}


def test_no_token_is_401_before_any_stream(server: LiveServer) -> None:
    response = requests.get(server.url + "/notifications/events", timeout=5)
    assert response.status_code == 401
    assert "error" in response.json()
    assert server.control.open_streams() == 0


def test_filters_apply_to_backfill_and_live_frames(server: LiveServer, open_stream: Open) -> None:
    wanted, other = start_job(server, TOKEN, variations=2), start_job(server, TOKEN)
    by_task = open_stream(server, params={"id_task": wanted})
    by_name = open_stream(server, params={"name_list": "image_result"})
    server.control.advance(2 * LATENCY)
    start_job(server, TOKEN, conversation_id=wanted)
    by_image = open_stream(server, params={"id_task": wanted, "id_image": "1"})
    server.control.advance(LATENCY)
    last = last_notification(server)
    by_task.wait_live(has_id(last), "the last event (it is of the filtered job)")
    by_name.wait_live(lambda fs: len(fs) == 4, "four image_result events")
    assert {f.json["data"]["id_task"] for f in by_task.frames.items() if f.event != "backfill_complete"} == {wanted}
    assert {f.name for f in by_name.live()} == {"image_result"}
    assert {f.json["data"]["id_task"] for f in by_name.live()} == {wanted, other}
    by_image.wait_live(has_id(last), "the second generation's events")
    images = {f.json["data"]["image_index"] for f in by_image.frames.items() if f.event != "backfill_complete"}
    assert images == {1}


def test_a_disconnecting_client_frees_its_subscription_at_once(server: LiveServer, open_stream: Open) -> None:
    first, second = open_stream(server), open_stream(server)
    assert server.control.open_streams() == 2
    first.close()
    wait_until(lambda: server.control.open_streams() == 1, 2, what="the closed stream's subscription to go")
    second.close()
    wait_until(lambda: not server.control.open_streams(), 2, what="every subscription to go")


def test_head_never_holds_a_subscription(server: LiveServer) -> None:
    response = requests.head(server.url + "/notifications/events", headers=auth(TOKEN), timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert server.control.open_streams() == 0


def test_keepalive_comment_lines_at_the_configured_interval(make_server: Callable[..., LiveServer]) -> None:
    server = make_server(keepalive=0.2)
    seen: list[str] = []
    arrivals: list[float] = []
    with requests.get(server.url + "/notifications/events", headers=auth(TOKEN), stream=True, timeout=5) as r:
        for line in r.iter_lines(decode_unicode=True):
            seen.append(line)
            if line == ":keepalive":
                arrivals.append(time.monotonic())
            if len(arrivals) == 3:
                break
    assert seen[seen.index("event: backfill_complete") + 1] == "data: {}"
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    assert all(gap >= 0.1 for gap in gaps), f"keepalives closer than the 0.2 s interval allows: {gaps}"


def test_a_dropped_stream_fault_ends_the_stream_and_frees_it(server: LiveServer, open_stream: Open) -> None:
    stream = open_stream(server)
    server.control.fail_next(kind="drop_stream", token=TOKEN)
    start_job(server, TOKEN)
    assert stream.ended.wait(5), "the stream stayed open"
    assert [f.name for f in stream.live()] == ["batch_edit"]
    wait_until(lambda: not server.control.open_streams(), 2, what="the subscription to go")


def test_a_reset_ends_open_streams_so_clients_reconnect_to_the_new_state(server: LiveServer, open_stream: Open) -> None:
    start_job(server, TOKEN, variations=3)
    server.control.advance(3 * LATENCY)
    stream = open_stream(server)
    server.control.reset()
    assert stream.ended.wait(5), "the stream outlived the reset"
    wait_until(lambda: not server.control.open_streams(), 2, what="the old subscription to go")
    reconnected = open_stream(server, headers={"Last-Event-ID": stream.backfill()[-1].id})
    assert reconnected.backfill() == []
    job = start_job(server, TOKEN)
    assert (
        reconnected.wait_live(lambda fs: len(fs) == 1, "the new state's first event")[0].json["data"]["id_task"] == job
    )
