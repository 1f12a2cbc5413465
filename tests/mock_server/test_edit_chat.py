"""POST /edit-chat: acceptance, every rejection status in the documented order, conversations, fallback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from mock_support import OTHER, Env

from mock_server.backend import DOCS_IDENTITY_CODE
from piktid_spec import DEFAULT_ENGINE, OUTPUT_CUSTOM_DIMENSIONS

pytestmark = pytest.mark.anyio

DOCS_PROMPT = {
    "prompt": "A bottle of amber perfume half-submerged in a calm ocean at sunset, photorealistic.",
    "size": "2K",
    "num_variations": 1,
}


async def test_an_accepted_request_is_202_with_conversation_id_equal_to_job_id(env: Env) -> None:
    response = await env.edit(DOCS_PROMPT)
    assert response.status_code == 202
    body = response.json()
    env.check(body, "EditChatAccepted")
    assert body["conversation_id"] == body["job_id"] and body["status"] == "processing"


async def test_a_400_lists_every_broken_rule_in_detail_with_its_code(env: Env) -> None:
    response = await env.edit({"prompt": "x", "size": "8K", "num_variations": 9, "model": "dall-e"})
    assert response.status_code == 400
    body = response.json()
    env.check(body, "Error")
    assert body["error"] == "Invalid request"
    assert {(d["field"], d["code"]) for d in body["detail"]} == {
        ("size", "invalid_size"),
        ("num_variations", "num_variations_out_of_range"),
        ("model", "invalid_model"),
    }
    assert all(d["position"] == "body" for d in body["detail"])


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "missing_input"),
        ({"prompt": None, "image_ids": []}, "missing_input"),
        ({"prompt": "x", "output_mode": "custom", "width": 1004, "height": 1000}, "dimension_not_multiple_of_8"),
        ({"prompt": "x", "output_mode": "custom", "width": 128, "height": 1024}, "dimension_out_of_range"),
        ({"prompt": "x", "identity_codes": ["a", "b", "c"]}, "too_many_identities"),
        ({"prompt": 5}, "invalid_type"),
        (["prompt"], "invalid_body"),
    ],
)
async def test_invalid_requests_are_400_with_the_catalogue_code(env: Env, payload: object, code: str) -> None:
    response = await env.edit(payload)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert code in {d["code"] for d in response.json()["detail"]}


async def test_a_size_above_the_plan_is_403_and_1k_is_accepted(env: Env) -> None:
    env.control.set_account("tok-free", plan="free")
    response = await env.edit({"prompt": "x", "size": "2K"}, token="tok-free")
    assert response.status_code == 403
    assert response.json()["code"] == "size_not_in_plan"
    assert (await env.edit({"prompt": "x", "size": "1K"}, token="tok-free")).status_code == 202


async def test_custom_dimensions_need_the_entitlement(env: Env) -> None:
    custom = {"prompt": "x", "size": "1K", "output_mode": "custom", "width": 1200, "height": 800}
    env.control.set_account("tok-paid", plan="paid")
    response = await env.edit(custom, token="tok-paid")
    assert response.status_code == 403
    assert response.json()["code"] == "custom_dimensions_not_entitled"
    env.control.set_account("tok-paid", entitlements=[OUTPUT_CUSTOM_DIMENSIONS])
    assert (await env.edit(custom, token="tok-paid")).status_code == 202


async def test_the_content_filter_blocks_the_test_term_with_403_before_reserving(env: Env) -> None:
    response = await env.edit({"prompt": "A portrait of a BLOCKED-SUBJECT", "size": "1K"})
    assert response.status_code == 403
    body = response.json()
    env.check(body, "Error")
    assert body["code"] == "content_blocked" and "blocked-subject" in body["error"]
    assert env.control.account(env.token)["in_progress_credits"] == 0


async def test_the_blocklist_is_a_setting(make_env: Callable[..., Awaitable[Env]]) -> None:
    api = await make_env(blocklist=("kitten",))
    assert (await api.edit({"prompt": "a kitten", "size": "1K"})).status_code == 403
    assert (await api.edit({"prompt": "blocked-subject", "size": "1K"})).status_code == 202


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ("image_ids", "file_not_found"),
        ("identity_codes", "identity_not_found"),
        ("conversation_id", "conversation_not_found"),
    ],
)
async def test_unknown_references_are_404(env: Env, field: str, code: str) -> None:
    value = "job_0000" if field == "conversation_id" else ["nope_0000"]
    response = await env.edit({"prompt": "x", "size": "1K", field: value})
    assert response.status_code == 404
    body = response.json()
    env.check(body, "Error")
    assert body["code"] == code


async def test_validation_comes_before_plan_and_references(env: Env) -> None:
    env.control.set_account("tok-free", plan="free")
    response = await env.edit({"size": "4K", "image_ids": [""]}, token="tok-free")
    assert response.status_code == 400


async def test_another_users_conversation_is_404(env: Env) -> None:
    job_id = await env.start({"prompt": "x", "size": "1K"}, token=OTHER)
    response = await env.edit({"prompt": "again", "size": "1K", "conversation_id": job_id})
    assert response.status_code == 404
    assert response.json()["code"] == "conversation_not_found"


async def test_the_docs_identity_snippet_runs_verbatim(env: Env) -> None:
    payload = {
        "prompt": "Full-body editorial shot of the model in a beige trench coat, studio backdrop.",
        "identity_codes": ["default-pro-xxxxxxxx"],
        "size": "2K",
    }
    assert DOCS_IDENTITY_CODE == "default-pro-xxxxxxxx"
    job_id = await env.start(payload)
    env.advance(1)
    results = await env.results(job_id)
    assert [i["identity_code"] for i in results["edit_chat_identities"]] == ["default-pro-xxxxxxxx"]
    assert results["results"][0]["status"] == "completed"


# --- conversations ------------------------------------------------------------------------------


async def test_a_continuation_keeps_the_job_adds_an_image_index_and_match_keeps_the_last_output_size(env: Env) -> None:
    first_input, reference = await env.upload("landscape.jpg"), await env.upload("portrait.png")
    job_id = await env.start({"prompt": "a sneaker", "image_ids": [first_input], "size": "1K"})
    env.advance(1)
    again = await env.edit(
        {"prompt": "warmer", "conversation_id": job_id, "image_ids": [reference], "output_mode": "match", "size": "1K"}
    )
    assert again.status_code == 202
    assert again.json()["job_id"] == job_id == again.json()["conversation_id"]
    env.advance(1)
    results = await env.results(job_id)
    by_index = {r["image_index"]: r for r in results["results"]}
    assert set(by_index) == {0, 1}
    assert (by_index[1]["width"], by_index[1]["height"]) == (1200, 800)
    assert by_index[1]["inputs"][0]["full_size"] == by_index[0]["output"]["full_size"]
    roles = {(a["file_id"], a["image_index"], a["role"]) for a in results["edit_chat_attachments"]}
    assert roles == {(first_input, 0, "working"), (reference, 1, "reference")}


async def test_a_text_to_image_conversation_keeps_the_ratio_output_size_on_match(env: Env) -> None:
    job_id = await env.start({"prompt": "a poster", "size": "1K", "output_mode": "ratio", "aspect_ratio": "16:9"})
    env.advance(1)
    await env.start({"prompt": "add a title", "conversation_id": job_id, "size": "1K"})
    env.advance(1)
    sizes = [(r["width"], r["height"]) for r in (await env.results(job_id))["results"]]
    assert sizes == [(1024, 576), (1024, 576)]


# --- the engine-refusal fallback --------------------------------------------------------------------


async def test_auto_falls_back_to_the_fallback_engine_when_the_default_refuses(env: Env) -> None:
    job_id = await env.start({"prompt": "please engine-refusal", "size": "1K"})
    env.advance(1)
    result = (await env.results(job_id))["results"][0]
    assert result["status"] == "completed"
    assert result["model_used"] == env.backend.settings.fallback_engine != DEFAULT_ENGINE
    assert env.control.account(env.token)["credits"] == 1000 - 3


async def test_an_explicit_model_fails_that_variation_uncharged_when_the_engine_refuses(env: Env) -> None:
    job_id = await env.start({"prompt": "engine-refusal", "size": "1K", "model": "gpt_image", "num_variations": 2})
    env.advance(5)
    results = await env.results(job_id)
    assert [r["status"] for r in results["results"]] == ["failed", "failed"]
    assert all(r["error_message"] and r["output"]["full_size"] is None for r in results["results"])
    assert results["credits_used"] == 0
    account = env.control.account(env.token)
    assert (account["credits"], account["in_progress_credits"]) == (1000, 0)


async def test_the_fallback_engine_is_a_setting(make_env: Callable[..., Awaitable[Env]]) -> None:
    api = await make_env(fallback_engine="gpt_image", refusal_terms=("nope",))
    job_id = await api.start({"prompt": "nope", "size": "1K"})
    api.advance(1)
    assert (await api.results(job_id))["results"][0]["model_used"] == "gpt_image"


async def test_an_explicit_model_is_reported_as_model_used(env: Env) -> None:
    job_id = await env.start({"prompt": "x", "size": "1K", "model": "nano_banana_pro"})
    env.advance(1)
    assert (await env.results(job_id))["results"][0]["model_used"] == "nano_banana_pro"
