"""``EditChatRequest``: a payload read with its defaults applied, as the service would act on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mypy_extensions import mypyc_attr

from piktid_spec.params import EDIT_CHAT
from piktid_spec.validate import Violation, read_usable, validate_edit_chat

_DEFAULTS: dict[str, Any] = {p.name: p.default for p in EDIT_CHAT.params}


@mypyc_attr(allow_interpreted_subclasses=True)  # callers may subclass it (compiled with mypyc, ``setup.py``)
@dataclass(frozen=True, slots=True)
class EditChatRequest:
    """A valid ``POST /edit-chat`` body, read the way the service reads it (defaults filled in)."""

    prompt: str | None
    image_ids: tuple[str, ...]
    identity_codes: tuple[str, ...]
    model: str
    size: str
    num_variations: int
    output_mode: str
    aspect_ratio: str | None
    width: int | None
    height: int | None
    conversation_id: str | None

    def __init__(
        self,
        prompt: str | None,
        image_ids: tuple[str, ...],
        identity_codes: tuple[str, ...],
        model: str,
        size: str,
        num_variations: int,
        output_mode: str,
        aspect_ratio: str | None,
        width: int | None,
        height: int | None,
        conversation_id: str | None,
    ) -> None:
        """Written out, not generated, so that mypyc compiles it (``setup.py``): a frozen dataclass's
        generated ``__init__`` stays interpreted, ten times the cost of this one compiled."""
        object.__setattr__(self, "prompt", prompt)
        object.__setattr__(self, "image_ids", image_ids)
        object.__setattr__(self, "identity_codes", identity_codes)
        object.__setattr__(self, "model", model)
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "num_variations", num_variations)
        object.__setattr__(self, "output_mode", output_mode)
        object.__setattr__(self, "aspect_ratio", aspect_ratio)
        object.__setattr__(self, "width", width)
        object.__setattr__(self, "height", height)
        object.__setattr__(self, "conversation_id", conversation_id)

    @classmethod
    def from_payload(
        cls, payload: object, violations: list[Violation] | None = None, usable: dict[str, Any] | None = None
    ) -> EditChatRequest:
        """Read ``payload`` as the service does. Raises ``ValueError`` naming the field if it has errors.

        ``violations``: what ``validate_edit_chat(payload)`` already answered, so a caller that has
        validated (the server, once per request) does not pay for validation twice; ``usable``: what
        ``validate_and_read`` read with them (the fields are then not read again either).
        """
        found = validate_edit_chat(payload) if violations is None else violations
        errors = [v for v in found if v.is_error]
        if errors:
            raise ValueError("; ".join(v.message for v in errors))
        assert isinstance(payload, dict)
        values: dict[str, Any] = {**_DEFAULTS, **(read_usable(payload) if usable is None else usable)}
        values["image_ids"] = values["image_ids"] or ()
        values["identity_codes"] = values["identity_codes"] or ()
        return _built(values) if cls is EditChatRequest else cls(**values)

    @property
    def effective_mode(self) -> str:
        """auto behaves as match; ratio without aspect_ratio falls back to match (inferred)."""
        if self.output_mode == "auto" or (self.output_mode == "ratio" and not self.aspect_ratio):
            return "match"
        return self.output_mode


def _built(values: dict[str, Any]) -> EditChatRequest:
    """``EditChatRequest(**values)`` for ``values`` naming every field, its arguments given by position.

    Why: compiled (``setup.py``), a positional call sets the slots directly, where keywords are first
    matched to the parameters by name (about a third of the cost). A test compares the two on
    arbitrary payloads."""
    return EditChatRequest(
        values["prompt"],
        values["image_ids"],
        values["identity_codes"],
        values["model"],
        values["size"],
        values["num_variations"],
        values["output_mode"],
        values["aspect_ratio"],
        values["width"],
        values["height"],
        values["conversation_id"],
    )
