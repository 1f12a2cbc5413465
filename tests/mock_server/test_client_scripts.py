"""What PiktID's client scripts (flat-to-model, model-swap, create-identity, ...) rely on, replayed
with their request shapes against the mock: projects, uploads into a project, README identity codes,
the duplicate-identity 409, result filenames, 405 Allow and CORS preflights."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mock_server import Settings
from mock_server.testing import mock_piktid

FACE = Path(__file__).resolve().parents[2] / "fixtures" / "images" / "face.jpg"
AUTH = {"Authorization": "Bearer tok-scripts"}


@pytest.fixture
def api():
    with (
        mock_piktid(clock="manual", latency=1) as control,
        httpx.Client(base_url="https://v2.api.piktid.com", headers=AUTH) as client,
    ):
        yield control, client


def get_or_create_project(client: httpx.Client, name: str) -> object:
    """The scripts' project step: create, or on 409 take project_id from the body or the listing."""
    created = client.post("/project", json={"project_name": name})
    if created.status_code in (200, 201):
        return created.json()["project_id"]
    assert created.status_code == 409
    if created.json().get("project_id") is not None:
        return created.json()["project_id"]
    listing = client.get("/project", params={"per_page": 100}).json()
    match = next(p for p in listing["projects"] if p["project_text"] == name)
    return match.get("project_key") or match["project_id"]


def test_project_create_then_409_with_the_same_project_id(api):
    _, client = api
    first = client.post("/project", json={"project_name": "flat-to-model"})
    assert first.status_code == 200
    assert first.json()["project_name"] == "flat-to-model"
    again = client.post("/project", json={"project_name": "flat-to-model"})
    assert again.status_code == 409
    assert again.json()["project_id"] == first.json()["project_id"]
    assert get_or_create_project(client, "flat-to-model") == first.json()["project_id"]


def test_project_listing_has_project_text_and_keys_per_user(api):
    _, client = api
    client.post("/project", json={"project_name": "model-swap"})
    body = client.get("/project", params={"per_page": 100}).json()
    assert [p["project_text"] for p in body["projects"]] == ["model-swap"]
    assert body["projects"][0]["project_key"] and body["projects"][0]["project_id"]
    assert body["pagination"]["total"] == 1
    other = client.get("/project", headers={"Authorization": "Bearer someone-else"}).json()
    assert other["projects"] == []


def test_an_injected_409_sends_the_script_to_its_listing_fallback(api):
    control, client = api
    project_id = client.post("/project", json={"project_name": "packshot"}).json()["project_id"]
    control.fail_next(409, path="/project")
    assert get_or_create_project(client, "packshot") == client.get("/project").json()["projects"][0]["project_key"]
    assert project_id


@pytest.mark.parametrize("body", [{}, {"project_name": ""}, {"project_name": 7}, {"project_name": "x" * 129}])
def test_a_bad_project_name_is_400_naming_it(api, body):
    _, client = api
    response = client.post("/project", json=body)
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "project_name"


def test_upload_with_a_project_name_never_created_works_and_records_the_file(api):
    _, client = api
    answer = client.post("/upload", json={"project_name": "image-playground", "filename": "product.jpg"})
    assert answer.status_code == 200
    listing = client.get("/project").json()["projects"]
    assert [(p["project_text"], p["project_id"], p["file_count"]) for p in listing] == [
        ("image-playground", answer.json()["project_id"], 1)
    ]


@pytest.mark.parametrize("code", ["PiktidSummer", "PiktidPremium"])
def test_the_readme_identity_codes_exist_for_a_paid_account(api, code):
    _, client = api
    response = client.get(f"/identity/{code}")
    assert response.status_code == 200
    assert response.json()["identity_code"] == code
    job = client.post("/edit-chat", json={"prompt": "model on a beach", "identity_codes": [code], "size": "1K"})
    assert job.status_code == 202


def test_the_readme_identity_codes_are_locked_for_a_free_account(api):
    control, client = api
    control.set_account("tok-free", plan="free")
    response = client.get("/identity/PiktidSummer", headers={"Authorization": "Bearer tok-free"})
    assert response.status_code == 404


def test_the_same_identity_image_twice_is_409_with_the_existing_code(api):
    _, client = api
    files = {"image": ("face.jpg", FACE.read_bytes(), "image/jpeg")}
    first = client.post("/identity/upload", files=files, data={"name": "Jane"})
    assert first.status_code == 200
    assert {"link", "visibility", "created_at", "identity_code"} <= set(first.json())
    again = client.post("/identity/upload", files=files, data={"name": "Jane again"})
    assert again.status_code == 409
    assert again.json()["existing_identity_code"] == first.json()["identity_code"]
    other = client.post("/identity/upload", files=files, headers={"Authorization": "Bearer someone-else"})
    assert other.status_code == 200


def test_a_fault_rule_can_inject_the_identity_409(api):
    control, client = api
    control.fail_next(409, path="/identity/upload")
    files = {"image": ("face.jpg", FACE.read_bytes(), "image/jpeg")}
    response = client.post("/identity/upload", files=files)
    assert response.status_code == 409
    assert client.get(f"/identity/{response.json()['existing_identity_code']}").status_code == 200


def _upload(client: httpx.Client, filename: str) -> str:
    answer = client.post("/upload", json={"project_name": "flat-to-model", "filename": filename}).json()
    put = httpx.put(answer["upload_url"], content=FACE.read_bytes(), headers={"Content-Type": answer["content_type"]})
    assert put.status_code == 200
    return answer["file_id"]


def test_results_carry_a_usable_original_filename_kept_through_a_conversation(api, tmp_path):
    control, client = api
    file_id = _upload(client, "garment.jpg")
    job_id = client.post("/edit-chat", json={"prompt": "on a model", "image_ids": [file_id], "size": "1K"}).json()[
        "job_id"
    ]
    control.advance(1)
    client.post("/edit-chat", json={"prompt": "warmer light", "conversation_id": job_id, "size": "1K"})
    control.advance(1)
    results = client.get(f"/jobs/{job_id}/results").json()["results"]
    assert [r["original_filename"] for r in results] == ["garment.jpg", "garment.jpg"]
    saved = [tmp_path / Path(r["original_filename"]).stem / r["download_filename"] for r in results]
    assert [p.suffix for p in saved] == [".png", ".png"] and len(set(saved)) == 2


def test_a_text_to_image_result_is_named_after_its_job(api):
    control, client = api
    job_id = client.post("/edit-chat", json={"prompt": "a red bicycle", "size": "1K"}).json()["job_id"]
    control.advance(1)
    (result,) = client.get(f"/jobs/{job_id}/results").json()["results"]
    assert result["original_filename"] == f"{job_id}.png"
    assert result["download_filename"] == f"{job_id}_0_0.png"


def test_a_405_names_the_allowed_methods(api):
    _, client = api
    response = client.delete("/project")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_a_browser_preflight_is_answered_with_cors_headers(api):
    _, client = api
    preflight = client.options(
        "/edit-chat",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://app.example")
    answer = client.get("/project", headers={"Origin": "https://app.example"})
    assert answer.headers["access-control-allow-origin"] == "*"


def test_only_the_configured_origins_get_cors_headers():
    with (
        mock_piktid(settings=Settings(cors_origins=("https://app.example",))),
        httpx.Client(base_url="https://v2.api.piktid.com", headers=AUTH) as client,
    ):
        allowed = client.get("/project", headers={"Origin": "https://app.example"})
        other = client.get("/project", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in other.headers


def test_no_origins_means_no_cors_headers():
    with (
        mock_piktid(settings=Settings(cors_origins=())),
        httpx.Client(base_url="https://v2.api.piktid.com", headers=AUTH) as client,
    ):
        answer = client.get("/project", headers={"Origin": "https://app.example"})
    assert "access-control-allow-origin" not in answer.headers
