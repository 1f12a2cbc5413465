"""/identity: the v2 listing (pagination, search, sort, ownership, locked tiers), one identity, uploads."""

from __future__ import annotations

from typing import Any

import pytest
from mock_support import IMAGES, OTHER, Env

from mock_server.backend import DEFAULT_NAMES, SHARED_IDENTITIES

pytestmark = pytest.mark.anyio

TIERS = ("free", "paid", "pro")
SHARED = [code for code, _ in SHARED_IDENTITIES]
VISIBLE_TO_PRO = len(TIERS) * len(DEFAULT_NAMES) + len(SHARED)


async def listing(env: Env, query: str = "", token: str | None = None) -> dict[str, Any]:
    response = await env.client.get(f"/identity{query}", headers=env.auth(token))
    assert response.status_code == 200, response.text
    body = response.json()
    env.check(body, "IdentityList")
    return body


async def create(env: Env, name: str = "Jane", *, token: str | None = None) -> str:
    files = {"image": ("face.jpg", (IMAGES / "face.jpg").read_bytes(), "image/jpeg")}
    response = await env.client.post("/identity/upload", headers=env.auth(token), files=files, data={"name": name})
    assert response.status_code == 200, response.text
    env.check(response.json(), "IdentityUploadResponse")
    return response.json()["identity_code"]


async def test_a_pro_user_starts_with_the_defaults_of_every_tier_up_to_pro(env: Env) -> None:
    body = await listing(env)
    codes = [i["identity_code"] for i in body["identities"]]
    assert body["pagination"]["total"] == len(codes) == VISIBLE_TO_PRO
    assert "default-pro-xxxxxxxx" in codes
    defaults = [(c, i) for c, i in zip(codes, body["identities"], strict=True) if c not in SHARED]
    assert len(defaults) == len(TIERS) * len(DEFAULT_NAMES)
    assert all(c.startswith(f"default-{i['tier']}-") and len(c.rsplit("-", 1)[1]) == 8 for c, i in defaults)
    assert not any(i["locked"] for i in body["identities"])


async def test_pagination_splits_the_list_into_pages(env: Env) -> None:
    pages = [await listing(env, f"?per_page=4&page={page}") for page in (1, 2, 3, 4)]
    assert [len(p["identities"]) for p in pages] == [4, 4, 3, 0]
    assert pages[1]["pagination"] == {
        "page": 2,
        "per_page": 4,
        "total": 11,
        "pages": 3,
        "has_next": True,
        "has_prev": True,
    }
    assert not pages[2]["pagination"]["has_next"]
    seen = [i["identity_code"] for p in pages for i in p["identities"]]
    assert len(set(seen)) == 11


async def test_search_sort_and_order(env: Env) -> None:
    found = await listing(env, "?search=AVA")
    assert {i["name"] for i in found["identities"]} == {f"Ava ({tier})" for tier in TIERS}
    names = [i["name"] for i in (await listing(env, "?sort_by=name&order=asc&per_page=100"))["identities"]]
    assert names == sorted(names)
    desc = [i["name"] for i in (await listing(env, "?sort_by=name&order=desc&per_page=100"))["identities"]]
    assert desc == names[::-1]


async def test_ownership_separates_mine_from_the_defaults(env: Env) -> None:
    code = await create(env, "Jane")
    mine = await listing(env, "?ownership=mine")
    assert [(i["identity_code"], i["name"]) for i in mine["identities"]] == [(code, "Jane")]
    defaults = await listing(env, "?ownership=default")
    assert code not in {i["identity_code"] for i in defaults["identities"]} and defaults["pagination"]["total"] == 9
    shared = (await listing(env, "?ownership=shared"))["identities"]
    assert sorted(i["identity_code"] for i in shared) == sorted(SHARED)
    assert {i["visibility"] for i in shared} == {"shared"}


async def test_include_locked_shows_higher_tiers_as_locked(env: Env) -> None:
    env.control.set_account("tok-free", plan="free")
    unlocked = await listing(env, token="tok-free")
    assert {i["tier"] for i in unlocked["identities"]} == {"free"}
    everything = await listing(env, "?include_locked=true", token="tok-free")
    assert {(i["tier"], i["locked"]) for i in everything["identities"]} == {
        ("free", False),
        ("paid", True),
        ("pro", True),
    }


@pytest.mark.parametrize(
    "query",
    [
        "per_page=0",
        "per_page=101",
        "sort_by=x",
        "order=up",
        "page=0",
        "page=abc",
        "ownership=theirs",
        "include_locked=maybe",
        "per_page=²",
        "page=" + "9" * 5000,
    ],
)
async def test_a_bad_query_is_400_naming_the_parameter(env: Env, query: str) -> None:
    response = await env.client.get(f"/identity?{query}", headers=env.auth())
    assert response.status_code == 400
    body = response.json()
    env.check(body, "Error")
    assert [(d["field"], d["position"]) for d in body["detail"]] == [(query.split("=")[0], "query")]


async def test_one_identity_by_code_and_404_for_others(env: Env) -> None:
    response = await env.client.get("/identity/default-pro-xxxxxxxx", headers=env.auth())
    assert response.status_code == 200
    env.check(response.json(), "Identity")
    assert response.json()["identity_code"] == "default-pro-xxxxxxxx"
    theirs = await create(env, "Theirs", token=OTHER)
    env.control.set_account("tok-free", plan="free")
    for code, token in ((theirs, None), ("nope", None), ("default-pro-xxxxxxxx", "tok-free")):
        missing = await env.client.get(f"/identity/{code}", headers=env.auth(token))
        assert missing.status_code == 404 and missing.json()["code"] == "identity_not_found"


async def test_an_uploaded_identity_works_in_edit_chat_for_its_owner_only(env: Env) -> None:
    code = await create(env, "Jane")
    assert (await env.client.get(f"/identity/{code}", headers=env.auth())).json()["name"] == "Jane"
    job_id = await env.start({"prompt": "Jane on a beach", "identity_codes": [code], "size": "1K"})
    env.advance(1)
    identities = (await env.results(job_id))["edit_chat_identities"]
    assert [(i["identity_code"], i["name"]) for i in identities] == [(code, "Jane")]
    other = await env.edit({"prompt": "x", "identity_codes": [code], "size": "1K"}, token=OTHER)
    assert other.status_code == 404 and other.json()["code"] == "identity_not_found"


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"files": {"picture": ("face.jpg", b"x", "image/jpeg")}},
        {"files": {"image": ("face.jpg", (IMAGES / "corrupt.jpg").read_bytes(), "image/jpeg")}},
        {"json": {"image": "face.jpg"}},
        {"content": b"--b\r\nnot really multipart", "headers": {"Content-Type": "multipart/form-data; boundary=b"}},
    ],
)
async def test_a_bad_identity_upload_is_400(env: Env, request_kwargs: dict[str, Any]) -> None:
    extra = {k: v for k, v in request_kwargs.items() if k != "headers"}
    headers = env.auth() | request_kwargs.get("headers", {})
    response = await env.client.post("/identity/upload", headers=headers, **extra)
    assert response.status_code == 400, response.text
    env.check(response.json(), "Error")


async def test_an_identity_uploaded_without_a_name_is_numbered_among_the_users_own(env: Env) -> None:
    await create(env, "Theirs", token=OTHER)
    files = {"image": ("face.jpg", (IMAGES / "face.jpg").read_bytes(), "image/jpeg")}
    response = await env.client.post("/identity/upload", headers=env.auth(), files=files)
    assert response.status_code == 200
    assert response.json()["name"] == "Identity 1"
