"""``openapi()``: a valid OpenAPI 3.1 document, pinned by a committed snapshot, whose request schema
agrees with the validator.

Regenerate the snapshot after an intended change with
``PIKTID_UPDATE_SNAPSHOT=1 pytest tests/piktid_spec/test_spec_openapi.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from piktid_spec import CATALOGUE, EDIT_CHAT, openapi, validate_edit_chat
from piktid_spec.shapes import SHAPES, resolved
from piktid_spec.strategies import edit_chat_requests, invalid_edit_chat_requests_for, rule_codes

SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")
REGENERATE = "PIKTID_UPDATE_SNAPSHOT=1 pytest tests/piktid_spec/test_spec_openapi.py"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
SCHEMA_CODES = (
    "invalid_body",
    "invalid_type",
    "too_many_identities",
    "num_variations_out_of_range",
    "invalid_size",
    "invalid_model",
    "invalid_output_mode",
    "invalid_aspect_ratio",
    "dimension_out_of_range",
    "dimension_not_multiple_of_8",
    "empty_id",
)
"""Rules JSON Schema can express; the cross-field ones (missing_input, modes, plans) it cannot."""
REQUEST = Draft202012Validator(resolved("EditChatRequest"))


def _rendered() -> str:
    return json.dumps(openapi(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in HTTP_METHODS
    ]


def test_is_a_valid_openapi_31_document() -> None:
    document = openapi()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_matches_the_committed_snapshot() -> None:
    if os.environ.get("PIKTID_UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text(_rendered(), encoding="utf-8")
        pytest.skip(f"snapshot rewritten: {SNAPSHOT}")
    assert SNAPSHOT.is_file(), f"{SNAPSHOT.name} is missing: create it with {REGENERATE}"
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert committed == json.loads(_rendered()), (
        f"openapi() drifted from {SNAPSHOT.name}; if the change is intended, regenerate it with {REGENERATE}"
    )


def test_is_fresh_on_every_call() -> None:
    document = openapi()
    document["components"]["schemas"]["Error"]["required"].append("mutated")
    assert "mutated" not in openapi()["components"]["schemas"]["Error"]["required"]
    assert "mutated" not in SHAPES["Error"]["required"]


@pytest.mark.parametrize(
    ("path", "method", "op"), _operations(openapi()), ids=lambda v: v if isinstance(v, str) else ""
)
def test_error_responses_reference_the_error_schema(path: str, method: str, op: dict[str, Any]) -> None:
    errors = {status: response for status, response in op["responses"].items() if status[0] in "45"}
    assert errors, f"{method.upper()} {path} declares no error response"
    for status, response in errors.items():
        schema = response["content"]["application/json"]["schema"]
        expected = "InsufficientCredits" if status == "402" else "Error"
        assert schema == {"$ref": f"#/components/schemas/{expected}"}, f"{method.upper()} {path} {status}"


def test_insufficient_credits_is_an_error_with_the_documented_amounts() -> None:
    schema = SHAPES["InsufficientCredits"]
    assert set(SHAPES["Error"]["required"]) <= set(schema["required"])
    assert {"required_credits", "in_progress_credits", "user_credits"} <= set(schema["required"])


def test_error_descriptions_list_the_catalogue_codes() -> None:
    edit_chat = openapi()["paths"][EDIT_CHAT.path]["post"]
    for status, response in edit_chat["responses"].items():
        if status.startswith("4"):
            codes = {code for code, spec in CATALOGUE.items() if spec.status == int(status)}
            assert all(code in response["description"] for code in codes)


def test_edit_chat_request_schema_is_the_parameter_table() -> None:
    schema = SHAPES["EditChatRequest"]
    assert list(schema["properties"]) == list(EDIT_CHAT.names)
    for p in EDIT_CHAT.params:
        assert schema["properties"][p.name]["default"] == p.default


def _without_nulls(payload: dict[str, object]) -> dict[str, object]:
    """The validator reads null as absent for every field; the schema allows null only where the
    default is null (see test_null_is_accepted_by_both), so compare on what both agree on."""
    return {key: value for key, value in payload.items() if value is not None}


@given(edit_chat_requests())
def test_valid_requests_satisfy_the_request_schema(payload: dict[str, object]) -> None:
    REQUEST.validate(_without_nulls(payload))


@pytest.mark.parametrize("name", [p.name for p in EDIT_CHAT.params if p.default is not None])
def test_null_is_accepted_by_both(name: str) -> None:
    payload = {"prompt": "p", name: None}
    assert validate_edit_chat(payload) == []
    assert REQUEST.is_valid(payload)


@pytest.mark.parametrize("code", SCHEMA_CODES)
@given(data=st.data())
def test_schema_rejects_what_the_validator_rejects(code: str, data: st.DataObject) -> None:
    assert code in rule_codes()
    payload = data.draw(invalid_edit_chat_requests_for(code))
    assert not REQUEST.is_valid(payload), payload
