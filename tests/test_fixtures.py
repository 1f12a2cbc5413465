"""The fixtures are what the docs show: every payload fits its spec shape, every image is what it claims.

Parametrized over ``fixtures/payloads/INDEX.json``, so a new payload is checked as soon as it is listed
(and an unlisted one fails ``test_index_lists_every_payload``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator
from PIL import Image

from piktid_spec import CATALOGUE, PLANS, SHAPES, Account, validate_edit_chat
from piktid_spec.shapes import resolved

FIXTURES = Path(__file__).parent.parent / "fixtures"
PAYLOADS = FIXTURES / "payloads"
IMAGES = FIXTURES / "images"
INDEX: dict[str, dict[str, Any]] = json.loads((PAYLOADS / "INDEX.json").read_text(encoding="utf-8"))

KINDS = {"request", "response", "notification"}
VALIDATORS = {"validate_edit_chat"}
SOURCE_PREFIXES = ("page: ", "v2 notes: ")
INDEX_KEYS = {"source", "kind", "shape", "endpoint", "status", "validator", "data_shape"}

REQUESTS = sorted(name for name, entry in INDEX.items() if entry["kind"] == "request")
DOCUMENTS = sorted(name for name, entry in INDEX.items() if entry["kind"] != "request")

EXPECTED_IMAGES = {  # name -> (Pillow format, (width, height))
    "landscape.jpg": ("JPEG", (1200, 800)),
    "portrait.png": ("PNG", (600, 900)),
    "square.webp": ("WEBP", (512, 512)),
    "tiny.png": ("PNG", (8, 8)),
    "face.jpg": ("JPEG", (512, 512)),
}
MAX_IMAGES_BYTES = 400_000


def load(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def schema_errors(shape: str, instance: Any) -> list[str]:
    validator = Draft202012Validator(resolved(shape), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


def strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return [node] if isinstance(node, str) else []


# --- INDEX.json ---------------------------------------------------------------------------------


def test_index_lists_every_payload() -> None:
    on_disk = {p.name for p in PAYLOADS.iterdir() if p.is_file() and p.name != "INDEX.json"}
    assert sorted(on_disk - INDEX.keys()) == [], "payload files missing from INDEX.json"
    assert sorted(INDEX.keys() - on_disk) == [], "INDEX.json lists files that do not exist"
    assert all(name.endswith(".json") for name in on_disk)


def test_every_shape_schema_is_valid() -> None:
    for name in {entry["shape"] for entry in INDEX.values()} | {
        e["data_shape"] for e in INDEX.values() if "data_shape" in e
    }:
        Draft202012Validator.check_schema(resolved(name))


@pytest.mark.parametrize("name", sorted(INDEX))
def test_index_entry(name: str) -> None:
    entry = INDEX[name]
    assert set(entry) <= INDEX_KEYS, f"unknown INDEX keys {sorted(set(entry) - INDEX_KEYS)}"
    assert entry["kind"] in KINDS
    assert entry["source"].startswith(SOURCE_PREFIXES) and entry["source"].split(": ", 1)[1].strip()
    assert entry["shape"] in SHAPES, f"{entry['shape']!r} is not a SHAPES key"
    assert entry.get("data_shape", "ImageResultData") in SHAPES
    assert ("validator" in entry) <= (entry["kind"] == "request")
    assert entry.get("validator", "validate_edit_chat") in VALIDATORS
    assert ("status" in entry) <= (entry["kind"] == "response")
    if entry.get("endpoint", "").startswith("POST /edit-chat") and entry["kind"] == "request":
        assert entry.get("validator") == "validate_edit_chat", "/edit-chat requests go through validate_edit_chat"
    # File names say what they are: x.request.json, notification.x.json, everything else a response.
    assert name.endswith(".request.json") == (entry["kind"] == "request")
    assert name.startswith("notification.") == (entry["kind"] == "notification")


# --- payloads ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REQUESTS)
def test_documented_request_is_accepted(name: str) -> None:
    entry, payload = INDEX[name], load(name)
    assert schema_errors(entry["shape"], payload) == []
    if entry.get("validator") == "validate_edit_chat":
        # No violation at all, warnings included: the docs' own examples are clean requests.
        assert [v.as_dict() for v in validate_edit_chat(payload)] == []
        # Every example asks for 2K or the default size: a paid plan sends it as is.
        assert [v.as_dict() for v in validate_edit_chat(payload, account=Account("paid"))] == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_documented_response_matches_shape(name: str) -> None:
    entry, payload = INDEX[name], load(name)
    assert schema_errors(entry["shape"], payload) == []
    if "data_shape" in entry:
        assert schema_errors(entry["data_shape"], payload["data"]) == []


@pytest.mark.parametrize("name", sorted(INDEX))
def test_no_placeholder_left(name: str) -> None:
    for text in strings(load(name)):
        assert "..." not in text, f"placeholder left: {text!r}"
        if text.startswith(("http:", "https:")):
            url = urlsplit(text)
            assert url.scheme == "https" and url.netloc and url.path.startswith("/"), text


@pytest.mark.parametrize("name", [n for n in DOCUMENTS if INDEX[n].get("status", 200) >= 400])
def test_error_body_code_matches_catalogue(name: str) -> None:
    entry, body = INDEX[name], load(name)
    assert body["code"] in CATALOGUE
    assert CATALOGUE[body["code"]].status == entry["status"]
    for item in body.get("detail", []):
        assert item.get("code", body["code"]) in CATALOGUE


def test_payloads_describe_one_job() -> None:
    """The page's snippets chain (upload -> edit -> continue -> notification -> results): so do the fixtures."""
    accepted = load("edit_chat.prompt.response.json")
    job_id = accepted["job_id"]
    assert accepted["conversation_id"] == job_id  # "same value as job_id"
    assert load("edit_chat.continue.request.json")["conversation_id"] == job_id
    assert load("jobs.status.response.json")["job_id"] == job_id
    results = load("results.response.json")
    assert results["job_id"] == job_id
    note = load("notification.image_result.json")
    assert note["name"] == "image_result" and note["data"]["id_task"] == job_id
    first = results["results"][0]
    assert (first["image_index"], first["group_index"]) == (note["data"]["image_index"], note["data"]["group_index"])
    assert first["output"] == {
        "full_size": note["data"]["output_link"],
        "thumbnail": note["data"]["output_thumbnail_link"],
    }
    upload = load("upload.response.json")
    assert upload["filename"] == load("upload.request.json")["filename"]
    assert load("edit_chat.edit_images.request.json")["image_ids"] == [upload["file_id"]]
    codes = {i["identity_code"] for i in load("identity.list.response.json")["identities"]}
    assert set(load("edit_chat.identity.request.json")["identity_codes"]) <= codes
    assert load("webhooks.put.response.json")["url"] == load("webhooks.put.request.json")["url"]


# --- images --------------------------------------------------------------------------------------


def test_images_folder_holds_exactly_the_samples() -> None:
    files = {p.name for p in IMAGES.iterdir() if p.is_file()}
    assert files == set(EXPECTED_IMAGES) | {"corrupt.jpg"}
    assert sum((IMAGES / n).stat().st_size for n in files) < MAX_IMAGES_BYTES


@pytest.mark.parametrize("name", sorted(EXPECTED_IMAGES))
def test_image_decodes(name: str) -> None:
    fmt, size = EXPECTED_IMAGES[name]
    with Image.open(IMAGES / name) as img:
        assert (img.format, img.size) == (fmt, size)
        img.load()  # the pixels decode too, not only the header
        assert img.mode in {"RGB", "RGBA", "P", "L"}


def test_corrupt_jpeg_looks_like_jpeg_but_does_not_decode() -> None:
    data = (IMAGES / "corrupt.jpg").read_bytes()
    assert data.startswith(b"\xff\xd8\xff")  # the JPEG SOI marker: sniffing by magic bytes says "JPEG"
    with pytest.raises((OSError, SyntaxError, ValueError)), Image.open(IMAGES / "corrupt.jpg") as img:
        img.load()


# --- users.json ----------------------------------------------------------------------------------


def test_users_file_is_well_formed() -> None:
    users = json.loads((FIXTURES / "users.json").read_text(encoding="utf-8"))
    assert set(users) == {"users"} and isinstance(users["users"], list) and users["users"]
    tokens = []
    for user in users["users"]:
        assert set(user) <= {"token", "plan", "credits", "identities"}, user
        assert isinstance(user["token"], str) and user["token"].strip() == user["token"] and user["token"]
        assert user["plan"] in PLANS
        credits = user["credits"]
        assert isinstance(credits, int | float) and not isinstance(credits, bool) and credits >= 0
        for identity in user.get("identities", []):
            assert set(identity) == {"name"} and isinstance(identity["name"], str) and identity["name"].strip()
        Account(plan=user["plan"], credits=credits)  # the spec accepts it
        tokens.append(user["token"])
    assert len(tokens) == len(set(tokens)), "tokens must be unique"
    assert {u["plan"] for u in users["users"]} == set(PLANS), "one user per plan"
    assert any(u["credits"] == 0 for u in users["users"]), "a user with no credits (402)"
