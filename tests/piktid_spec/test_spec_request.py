"""``EditChatRequest.from_payload`` builds the record ``EditChatRequest(**values)`` would."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given, settings

from piktid_spec import EditChatRequest
from piktid_spec.request import _DEFAULTS
from piktid_spec.strategies import edit_chat_requests
from piktid_spec.validate import read_usable


@settings(max_examples=300, deadline=None)
@given(edit_chat_requests())
def test_from_payload_is_the_dataclass_built_from_the_read_values(payload: dict[str, Any]) -> None:
    values = {**_DEFAULTS, **read_usable(payload)}
    values["image_ids"] = values["image_ids"] or ()
    values["identity_codes"] = values["identity_codes"] or ()
    built, expected = EditChatRequest.from_payload(payload), EditChatRequest(**values)
    assert built == expected and type(built) is EditChatRequest
    assert [getattr(built, f.name) for f in dataclasses.fields(built)] == list(dataclasses.astuple(expected))
    assert hash(built) == hash(expected)


def test_a_subclass_is_built_by_its_own_init() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Kept(EditChatRequest):
        pass

    assert type(Kept.from_payload({"prompt": "p"})) is Kept
