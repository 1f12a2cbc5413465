"""The parameter table of ``POST /edit-chat``, as data.

``EDIT_CHAT`` is the single declaration the validator, the OpenAPI document, the hypothesis
strategies and the README table are all derived from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from piktid_spec._provenance import Provenance, documented

ParamType = Literal["string", "string[]", "integer"]

SIZES = ("1K", "2K", "4K")
"""Output size labels, smallest first; which ones an account may use is ``PLANS[plan].sizes``."""
ENGINES = ("nano_banana_2", "nano_banana_pro", "gpt_image", "seedream")
"""The generation engines a request may name explicitly as ``model``."""
MODELS = ("auto", *ENGINES)
"""Every accepted ``model`` value: ``auto`` (the service picks) and each of ``ENGINES``."""
OUTPUT_MODES = ("auto", "match", "ratio", "custom")
"""Accepted ``output_mode`` values: how the output's dimensions are chosen."""
ASPECT_RATIOS = ("1:1", "3:2", "2:3", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
"""Accepted ``aspect_ratio`` values (``output_mode='ratio'``)."""
DEFAULT_ENGINE = "nano_banana_2"
"""The engine ``model='auto'`` resolves to."""


@dataclass(frozen=True, slots=True)
class Param:
    """One request field. ``*_code`` name the catalogue entry a broken bound yields."""

    name: str
    type: ParamType
    default: Any
    description: str
    provenance: Provenance
    enum: tuple[str, ...] | None = None
    enum_code: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    range_code: str | None = None
    multiple_of: int | None = None
    max_items: int | None = None
    max_items_code: str | None = None
    items_code: str | None = None
    multiple_code: str | None = None

    @property
    def type_label(self) -> str:
        if self.enum:
            return " | ".join(f'"{v}"' for v in self.enum)
        return self.type

    @property
    def bounds(self) -> str:
        """The declared bounds in words (for tables and messages)."""
        parts = []
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"{self.minimum}–{self.maximum}")
        if self.multiple_of:
            parts.append(f"multiple of {self.multiple_of}")
        if self.max_items is not None:
            parts.append(f"at most {self.max_items} items")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One documented endpoint: method, path, summary, its body parameters and the rules that apply."""

    method: str
    path: str
    summary: str
    params: tuple[Param, ...]
    rules: tuple[str, ...] = field(default=())

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def markdown_table(self) -> str:
        """The README's parameter table, generated so it cannot drift from the declaration."""
        rows = ["| Field | Type | Default | Bounds | Description |", "| --- | --- | --- | --- | --- |"]
        for p in self.params:
            default = "null" if p.default is None else f"`{p.default!r}`".replace("'", '"')
            kind = p.type_label.replace(" | ", " \\| ")
            rows.append(f"| `{p.name}` | {kind} | {default} | {p.bounds} | {p.description} |")
        return "\n".join(rows)


EDIT_CHAT = Endpoint(
    method="POST",
    path="/edit-chat",
    summary="Generate or edit a single image from a prompt, existing images, or a saved identity",
    params=(
        Param(
            "prompt",
            "string",
            None,
            "The generation or edit instruction (or a from-scratch text-to-image prompt).",
            documented("The generation or edit instruction (or a from-scratch text-to-image prompt)."),
        ),
        Param(
            "image_ids",
            "string[]",
            None,
            "file_ids of uploaded images; the first is the image being edited, the rest are references.",
            documented("The first is the image being edited; the rest are references."),
            items_code="empty_id",
        ),
        Param(
            "identity_codes",
            "string[]",
            None,
            "Codes of saved identities to use as the model. Max 2.",
            documented("Codes of saved identities to use as the model. Max 2."),
            max_items=2,
            max_items_code="too_many_identities",
            items_code="empty_id",
        ),
        Param(
            "model",
            "string",
            "auto",
            "Generation engine. auto runs the default engine with a safety fallback; "
            "an explicit engine disables the fallback.",
            documented(
                "auto runs the default engine with a safety fallback; specifying an engine disables the fallback."
            ),
            enum=MODELS,
            enum_code="invalid_model",
        ),
        Param(
            "size",
            "string",
            "2K",
            "Quality / processing size; drives resolution and price. 2K and 4K need a paid plan.",
            documented("2K and 4K require a paid plan."),
            enum=SIZES,
            enum_code="invalid_size",
        ),
        Param(
            "num_variations",
            "integer",
            1,
            "How many images to generate, 1–4. Each is billed separately.",
            documented("How many images to generate, 1–4. Each is billed separately."),
            minimum=1,
            maximum=4,
            range_code="num_variations_out_of_range",
        ),
        Param(
            "output_mode",
            "string",
            "auto",
            "Delivered dimensions: match keeps the input size; ratio uses aspect_ratio; custom uses "
            "width / height; auto behaves as match.",
            documented("On this endpoint auto behaves as match."),
            enum=OUTPUT_MODES,
            enum_code="invalid_output_mode",
        ),
        Param(
            "aspect_ratio",
            "string",
            None,
            'For output_mode "ratio".',
            documented('For output_mode: "ratio". One of 1:1, 3:2, 2:3, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9.'),
            enum=ASPECT_RATIOS,
            enum_code="invalid_aspect_ratio",
        ),
        Param(
            "width",
            "integer",
            None,
            'Exact output width for output_mode "custom" (256–7000, multiple of 8; Pro).',
            documented('Exact output size for output_mode: "custom" (256–7000, multiple of 8).'),
            minimum=256,
            maximum=7000,
            range_code="dimension_out_of_range",
            multiple_of=8,
            multiple_code="dimension_not_multiple_of_8",
        ),
        Param(
            "height",
            "integer",
            None,
            'Exact output height for output_mode "custom" (256–7000, multiple of 8; Pro).',
            documented('Exact output size for output_mode: "custom" (256–7000, multiple of 8).'),
            minimum=256,
            maximum=7000,
            range_code="dimension_out_of_range",
            multiple_of=8,
            multiple_code="dimension_not_multiple_of_8",
        ),
        Param(
            "conversation_id",
            "string",
            None,
            "Continue a prior generation (the job_id of an earlier call).",
            documented("Use the job_id (which equals conversation_id) returned by an earlier call."),
        ),
    ),
    rules=(
        "invalid_body",
        "invalid_type",
        "missing_input",
        "too_many_identities",
        "num_variations_out_of_range",
        "invalid_size",
        "invalid_model",
        "invalid_output_mode",
        "invalid_aspect_ratio",
        "dimension_out_of_range",
        "dimension_not_multiple_of_8",
        "custom_dimensions_missing",
        "empty_id",
        "unknown_field",
        "empty_value",
        "float_for_integer",
        "aspect_ratio_missing",
        "aspect_ratio_ignored",
        "dimensions_ignored",
        "custom_ratio_out_of_range",
        "size_not_in_plan",
        "custom_dimensions_not_entitled",
    ),
)
"""``POST /edit-chat``: every body parameter with its type, default, bounds and the docs' words."""

MAX_CUSTOM_RATIO = 4
"""Custom width:height within 1:4..4:1 (a warning; see ``custom_ratio_out_of_range``)."""
