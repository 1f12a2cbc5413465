"""Retention: finished jobs, notifications, settled deliveries and uploads older than ``retention`` go.

Through the app on a manual clock: a dropped resource answers exactly as one that never existed
(same status, same body but for the id), and what is still in use is kept whatever its age.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest
from mock_support import IMAGES, Env

pytestmark = pytest.mark.anyio
MakeEnv = Callable[..., Awaitable[Env]]
RETENTION = 100.0
PAST = RETENTION * 1.2
"""Far enough: a sweep runs at most ``retention / 10`` of the clock apart."""


def same_answer(dropped: httpx.Response, unknown: httpx.Response, dropped_id: str, unknown_id: str) -> None:
    assert dropped.status_code == unknown.status_code == 404
    assert dropped.text.replace(dropped_id, "ID") == unknown.text.replace(unknown_id, "ID")


async def finished_job(env: Env, **payload: Any) -> tuple[str, dict[str, Any]]:
    job_id = await env.start({"prompt": "a red bicycle", "size": "1K", **payload})
    env.advance(1)
    return job_id, (await env.results(job_id))["results"][0]


async def test_a_finished_job_past_retention_answers_as_an_unknown_one(make_env: MakeEnv) -> None:
    env = await make_env(retention=RETENTION, latency=1)
    job_id, result = await finished_job(env)
    env.advance(PAST)
    for path in ("/jobs/{}/results", "/jobs/{}/status"):
        dropped = await env.client.get(path.format(job_id), headers=env.auth())
        unknown = await env.client.get(path.format("job_never"), headers=env.auth())
        same_answer(dropped, unknown, job_id, "job_never")
    assert (await env.client.get(result["output"]["full_size"])).status_code == 404
    again = await env.edit({"prompt": "more", "conversation_id": job_id})
    never = await env.edit({"prompt": "more", "conversation_id": "job_never"})
    same_answer(again, never, job_id, "job_never")
    assert env.backend.counts()["jobs"] == 0 and env.backend.dropped()["jobs"] == 1


async def test_a_job_still_in_progress_is_kept_past_retention_then_dropped_once_finished(make_env: MakeEnv) -> None:
    env = await make_env(retention=RETENTION, latency=3 * RETENTION)
    job_id = await env.start({"prompt": "a slow one", "size": "1K"})
    env.advance(2 * RETENTION)
    assert (await env.results(job_id))["results"][0]["status"] == "processing"
    env.advance(RETENTION)
    assert (await env.results(job_id))["results"][0]["status"] == "completed"
    env.advance(PAST)
    assert (await env.client.get(f"/jobs/{job_id}/results", headers=env.auth())).status_code == 404


async def test_a_continued_conversation_is_kept_from_its_last_change(make_env: MakeEnv) -> None:
    env = await make_env(retention=RETENTION, latency=1)
    job_id, _ = await finished_job(env)
    env.advance(RETENTION * 0.8)
    await env.start({"prompt": "now blue", "conversation_id": job_id})
    env.advance(RETENTION * 0.8)
    assert len((await env.results(job_id))["results"]) == 2


async def test_old_notifications_are_gone_from_listing_and_delete(make_env: MakeEnv) -> None:
    env = await make_env(retention=RETENTION, latency=1)
    await finished_job(env)
    listed = (await env.client.post("/notifications", headers=env.auth(), json={})).json()
    old_id = listed[0]["id"]
    env.advance(PAST)
    assert (await env.client.post("/notifications", headers=env.auth(), json={})).json() == []
    dropped = await env.client.delete(f"/notifications/{old_id}", headers=env.auth())
    unknown = await env.client.delete("/notifications/999999", headers=env.auth())
    same_answer(dropped, unknown, str(old_id), "999999")


async def test_uploads_past_retention_answer_as_unknown_ones(make_env: MakeEnv) -> None:
    env = await make_env(retention=RETENTION, latency=1)
    upload = await env.request_upload("tiny.png")
    put = await env.client.put(
        upload["upload_url"], headers={"Content-Type": "image/png"}, content=(IMAGES / "tiny.png").read_bytes()
    )
    assert put.status_code == 200 and (await env.client.get(upload["download_url"])).status_code == 200
    env.advance(PAST)
    assert (await env.client.get(upload["download_url"])).status_code == 404
    dropped = await env.edit({"prompt": "x", "image_ids": [upload["file_id"]]})
    unknown = await env.edit({"prompt": "x", "image_ids": ["file_never"]})
    same_answer(dropped, unknown, upload["file_id"], "file_never")


async def attempts_settled(env: Env, count: int) -> None:
    """Wait (bounded) for the runtime's report of ``count`` attempts to a closed port (refused at once)."""
    with anyio.fail_after(10):
        while sum(a["error"] is not None for d in env.control.deliveries() for a in d["attempts"]) < count:
            await anyio.sleep(0.01)


async def test_a_pending_delivery_is_kept_and_a_settled_one_dropped(make_env: MakeEnv) -> None:
    env = await make_env(retention=RETENTION, latency=1, webhook_backoff=10 * RETENTION, webhook_attempts=2)
    await env.client.put("/webhooks", headers=env.auth(), json={"url": "http://127.0.0.1:9/hook"})
    await attempts_settled(env, 1)
    env.advance(PAST)
    assert [d["status"] for d in env.control.deliveries()] == ["pending"], "its retry is due later"
    env.advance(10 * RETENTION)
    await attempts_settled(env, 2)
    assert [d["status"] for d in env.control.deliveries()] == ["failed"]
    env.advance(PAST)
    assert env.control.deliveries() == [] and env.backend.dropped()["deliveries"] == 1


async def test_upload_bytes_past_the_total_cap_drop_the_oldest_uploads(make_env: MakeEnv) -> None:
    env = await make_env(upload_max_bytes=1000, upload_total_bytes=1500)
    uploads = [await env.request_upload(f"f{i}.png") for i in range(3)]
    for upload in uploads:
        put = await env.client.put(upload["upload_url"], headers={"Content-Type": "image/png"}, content=b"x" * 600)
        assert put.status_code == 200
    found = [(await env.client.get(u["download_url"])).status_code for u in uploads]
    assert found == [404, 200, 200]
    assert env.backend.counts()["upload_bytes"] == 1200
