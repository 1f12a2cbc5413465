"""GET /jobs/{id}/status and /results: the always-completed status quirk, per-result status, result fields."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from mock_support import OTHER, Env

from mock_server import Settings
from piktid_spec import CREDITS_PER_IMAGE, DEFAULT_ENGINE

pytestmark = pytest.mark.anyio


async def test_status_always_says_completed_with_a_numeric_progress(env: Env) -> None:
    job_id = await env.start({"prompt": "x", "size": "1K", "num_variations": 2})
    for _ in range(2):
        response = await env.client.get(f"/jobs/{job_id}/status", headers=env.auth())
        assert response.status_code == 200
        status = response.json()
        env.check(status, "JobStatus")
        assert status["status"] == "completed" and status["job_type"] == "edit_chat"
        assert isinstance(status["progress"], int | float) and not isinstance(status["progress"], bool)
        env.advance(1)
    assert status["total_images"] == 2


async def test_results_report_processing_then_completed_per_result(env: Env) -> None:
    job_id = await env.start({"prompt": "x", "size": "1K"})
    before = await env.results(job_id)
    env.check(before, "JobResults")
    assert before["status"] == "completed"
    assert [(r["status"], r["output"]["full_size"]) for r in before["results"]] == [("processing", None)]
    env.advance(1)
    after = await env.results(job_id)
    env.check(after, "JobResults")
    result = after["results"][0]
    assert result["status"] == "completed" and result["model_used"] == DEFAULT_ENGINE
    assert result["output"]["full_size"].startswith("http") and result["output"]["thumbnail"].startswith("http")


async def test_results_carry_the_edit_chat_fields(env: Env) -> None:
    file_id = await env.upload("square.webp")
    job_id = await env.start(
        {
            "prompt": "x",
            "size": "2K",
            "num_variations": 3,
            "image_ids": [file_id],
            "identity_codes": ["default-pro-xxxxxxxx"],
        }
    )
    env.advance(1)
    results = await env.results(job_id)
    env.check(results, "JobResults")
    assert results["job_id"] == job_id and results["job_type"] == "edit_chat"
    assert [(r["image_index"], r["group_index"], r["version"]) for r in results["results"]] == [
        (0, 0, 0),
        (0, 1, 0),
        (0, 2, 0),
    ]
    assert results["summary"] == {
        "total_images": 3,
        "successful": 3,
        "failed": 0,
        "processing": 0,
        "success_rate": 1.0,
        "average_quality_score": None,
    }
    assert results["credits_used"] == 3 * CREDITS_PER_IMAGE["2K"]
    assert [(a["file_id"], a["role"]) for a in results["edit_chat_attachments"]] == [(file_id, "working")]
    assert [i["identity_code"] for i in results["edit_chat_identities"]] == ["default-pro-xxxxxxxx"]


async def test_partial_results_while_later_variations_are_still_processing(
    make_env: Callable[..., Awaitable[Env]],
) -> None:
    api = await make_env(Settings(clock="manual", seed=1, latency=2))
    job_id = await api.start({"prompt": "x", "size": "1K", "num_variations": 2})
    api.advance(2)
    results = await api.results(job_id)
    assert [r["status"] for r in results["results"]] == ["completed", "processing"]
    assert results["summary"]["processing"] == 1
    status = (await api.client.get(f"/jobs/{job_id}/status", headers=api.auth())).json()
    assert (status["status"], status["processed_images"]) == ("completed", 1)


@pytest.mark.parametrize("endpoint", ["status", "results"])
async def test_unknown_and_other_users_jobs_are_404(env: Env, endpoint: str) -> None:
    theirs = await env.start({"prompt": "x", "size": "1K"}, token=OTHER)
    for job_id in (theirs, "job_doesnotexist"):
        response = await env.client.get(f"/jobs/{job_id}/{endpoint}", headers=env.auth())
        assert response.status_code == 404
        body = response.json()
        env.check(body, "Error")
        assert body["code"] == "job_not_found"
    assert (await env.client.get(f"/jobs/{theirs}/{endpoint}", headers=env.auth(OTHER))).status_code == 200
