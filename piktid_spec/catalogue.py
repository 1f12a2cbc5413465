"""The one error catalogue: every error the API (and the mock) can answer, as data.

Each entry names a stable ``code``, its HTTP ``status``, a message a person can act on, its
``severity`` (a ``"warning"`` is a rule the real service may not enforce: the mock accepts it
unless run in strict mode) and its provenance. ``error_body`` is the one renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from piktid_spec._provenance import Provenance, documented, inferred

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """One error the service answers: code, HTTP status, message, provenance, error or warning."""

    code: str
    status: int
    message: str
    provenance: Provenance
    severity: Severity = "error"


def _e(code: str, status: int, message: str, prov: Provenance, severity: Severity = "error") -> ErrorSpec:
    return ErrorSpec(code, status, message, prov, severity)


_ENTRIES = [
    # --- /edit-chat structural rules (400) ---
    _e(
        "invalid_body",
        400,
        "The request body must be a JSON object.",
        inferred("the endpoint reads named fields from a JSON object; anything else cannot be read"),
    ),
    _e(
        "invalid_type",
        400,
        "Wrong type: {expected} expected.",
        inferred(
            "the parameter table gives each field a type; a value of another type cannot be used "
            "(booleans are not integers, as marshmallow-style validators rule)"
        ),
    ),
    _e(
        "missing_input",
        400,
        "Provide at least one of prompt, image_ids or identity_codes.",
        documented("A request must include at least one of prompt, image_ids, or identity_codes."),
    ),
    _e(
        "too_many_identities",
        400,
        "At most 2 identity_codes are allowed per request.",
        documented("Codes of saved identities to use as the model. Max 2."),
    ),
    _e(
        "num_variations_out_of_range",
        400,
        "num_variations must be an integer from 1 to 4.",
        documented("How many images to generate, 1–4. Each is billed separately."),
    ),
    _e(
        "invalid_size",
        400,
        "size must be one of 1K, 2K, 4K.",
        documented('size "1K" | "2K" | "4K" "2K" Quality / processing size.'),
    ),
    _e(
        "invalid_model",
        400,
        "Unsupported model: use one of auto, nano_banana_2, nano_banana_pro, gpt_image, seedream.",
        documented(
            "400 No prompt, image_ids, or identity_codes supplied; invalid custom dimensions; or an unsupported model."
        ),
    ),
    _e(
        "invalid_output_mode",
        400,
        "output_mode must be one of auto, match, ratio, custom.",
        documented('output_mode "auto" | "match" | "ratio" | "custom" "auto" Delivered dimensions.'),
    ),
    _e(
        "invalid_aspect_ratio",
        400,
        "aspect_ratio must be one of 1:1, 3:2, 2:3, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9.",
        documented('For output_mode: "ratio". One of 1:1, 3:2, 2:3, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9.'),
    ),
    _e(
        "dimension_out_of_range",
        400,
        "width and height must be from 256 to 7000.",
        documented('Exact output size for output_mode: "custom" (256–7000, multiple of 8).'),
    ),
    _e(
        "dimension_not_multiple_of_8",
        400,
        "width and height must be multiples of 8.",
        documented('Exact output size for output_mode: "custom" (256–7000, multiple of 8).'),
    ),
    _e(
        "custom_dimensions_missing",
        400,
        'output_mode "custom" needs both width and height.',
        inferred(
            '"custom uses exact width / height": without both there is no size to deliver '
            '(the create-packshot README: "Both must be provided together")'
        ),
    ),
    _e(
        "empty_id",
        400,
        "Ids must be non-empty strings.",
        inferred("an empty id can never name an uploaded file or a saved identity"),
    ),
    # --- /edit-chat warnings: accepted unless the mock runs in strict mode ---
    _e(
        "unknown_field",
        400,
        "Unknown field: it is ignored (a typo of a parameter name does nothing).",
        inferred("the page lists every field; services commonly ignore unknown keys, so this warns"),
        "warning",
    ),
    _e(
        "empty_value",
        400,
        "Empty value: it is treated as if the field were absent.",
        inferred("an empty string or list carries nothing; the service most plausibly treats it as null"),
        "warning",
    ),
    _e(
        "float_for_integer",
        400,
        "A whole-number float is used where an integer is expected; it is read as an integer.",
        inferred("JSON has one number type; lenient validators accept 2.0 for 2, strict ones do not"),
        "warning",
    ),
    _e(
        "aspect_ratio_missing",
        400,
        'output_mode "ratio" without aspect_ratio: the input size is kept (as match).',
        inferred('ratio "uses aspect_ratio"; without one the service most plausibly falls back to match'),
        "warning",
    ),
    _e(
        "aspect_ratio_ignored",
        400,
        'aspect_ratio is only used with output_mode "ratio"; it is ignored.',
        inferred('aspect_ratio is documented "For output_mode: ratio" only'),
        "warning",
    ),
    _e(
        "dimensions_ignored",
        400,
        'width and height are only used with output_mode "custom"; they are ignored.',
        inferred('width/height are documented for output_mode: "custom" only'),
        "warning",
    ),
    _e(
        "custom_ratio_out_of_range",
        400,
        "Custom width:height should stay within 1:4 to 4:1.",
        inferred('the create-packshot README adds "ratio 1:4 to 4:1"; the Playground page does not state it'),
        "warning",
    ),
    # --- plan rules (403) ---
    _e(
        "size_not_in_plan",
        403,
        "This size needs a paid plan: use 1K or upgrade.",
        documented("2K and 4K require a paid plan."),
    ),
    _e(
        "custom_dimensions_not_entitled",
        403,
        'output_mode "custom" needs the OUTPUT_CUSTOM_DIMENSIONS entitlement (Pro).',
        documented("Requires the custom-dimensions entitlement (Pro)."),
    ),
    _e(
        "content_blocked",
        403,
        "The request was blocked by the content filter.",
        documented("403 ... or a subject blocked by the content filter."),
    ),
    # --- request-level errors ---
    _e(
        "invalid_json",
        400,
        "The request body is not valid JSON.",
        inferred("a body that cannot be parsed names no field; 400 as for every malformed request"),
    ),
    _e(
        "invalid_parameter",
        400,
        "Invalid parameter.",
        inferred("the v2 reference answers bad query and body values with 400 and a detail list"),
    ),
    _e(
        "unsupported_file_type",
        400,
        "Unsupported file type: use .jpg, .jpeg, .png or .webp.",
        inferred("the upload answers a content_type for images only; other types cannot be edited"),
    ),
    _e(
        "undecodable_image",
        400,
        "The uploaded file is not a decodable image (or is over 7000 x 7000 pixels).",
        inferred(
            "S3 accepts any bytes; the service fails when it opens them, so /edit-chat answers 400; "
            "match would deliver an input's size as is, so inputs stay within the largest custom size"
        ),
    ),
    _e(
        "unauthorized",
        401,
        "Missing or invalid API token: send Authorization: Bearer <token>.",
        documented("You will need an API token to send HTTP requests."),
    ),
    _e(
        "insufficient_credits",
        402,
        "Insufficient credits",
        documented(
            "402 Insufficient credits. Response body includes required_credits, in_progress_credits, user_credits."
        ),
    ),
    _e(
        "upload_signature_mismatch",
        403,
        "The request signature does not match: use the upload_url and content_type exactly as returned.",
        inferred("a pre-signed S3 URL answers a tampered query or another Content-Type with 403 SignatureDoesNotMatch"),
    ),
    _e(
        "upload_expired",
        403,
        "The upload URL has expired: request a new one with POST /upload.",
        documented("The upload_url is only valid for a limited time."),
    ),
    _e(
        "upload_auth_conflict",
        400,
        "Only one auth mechanism allowed: do not send an Authorization header to the upload URL.",
        inferred("S3 answers a pre-signed request that also carries Authorization with 400 InvalidArgument"),
    ),
    _e("not_found", 404, "Not found.", documented("404 A referenced resource was not found.")),
    _e(
        "file_not_found",
        404,
        "Unknown file_id (or it was never uploaded).",
        documented("404 A referenced resource was not found."),
    ),
    _e("identity_not_found", 404, "Unknown identity code.", documented("404 A referenced resource was not found.")),
    _e(
        "conversation_not_found",
        404,
        "Unknown conversation_id.",
        documented("404 A referenced resource was not found."),
    ),
    _e(
        "job_not_found",
        404,
        "Unknown job_id.",
        inferred("a job another user owns or that never existed is not found (404, never 403)"),
    ),
    _e(
        "notification_not_found",
        404,
        "Unknown notification id.",
        inferred("DELETE /notifications/{id} has no reference page; 404 as for every unknown resource"),
    ),
    _e(
        "webhook_not_found",
        404,
        "No webhook is configured.",
        inferred("GET/DELETE /webhooks have no reference page; 404 when none is set"),
    ),
    _e(
        "identity_exists",
        409,
        "This face is already saved as an identity: use existing_identity_code.",
        inferred(
            "v2 notes [client + reference]: /identity/upload answers 409 with existing_identity_code when the same "
            "face exists; the mock's face matching is the same image bytes for the same user"
        ),
    ),
    _e(
        "project_exists",
        409,
        "A project with this name already exists: use its project_id.",
        inferred(
            "PiktID's client scripts create their project first and, on 409, read project_id from the body "
            "(or list GET /project): a name is unique per user"
        ),
    ),
    _e(
        "conflict",
        409,
        "Conflict (injected by a mock fault rule).",
        inferred("only a fault rule produces a 409 outside identity and project creation"),
    ),
    _e("method_not_allowed", 405, "Method not allowed on this path.", inferred("HTTP semantics")),
    _e(
        "body_too_large",
        413,
        "The request body is too large.",
        inferred("a body above the limit is refused before it is read"),
    ),
    _e(
        "rate_limited",
        429,
        "Rate limit reached: at most 15 requests per minute.",
        documented("429 Rate limit reached (15 requests per minute per user)."),
    ),
    _e(
        "internal_error",
        500,
        "Internal server error (injected by a mock fault rule).",
        inferred("only a fault rule produces it: the mock never answers 5xx on its own"),
    ),
    _e(
        "service_unavailable",
        503,
        "Service unavailable (injected by a mock fault rule).",
        inferred("only a fault rule produces it"),
    ),
    _e(
        "store_unavailable",
        503,
        "The mock's state store is unreachable; try again shortly.",
        inferred("the mock's own Redis store is down: a 503 like a gateway's whose backend is down, never a 500"),
    ),
]

CATALOGUE: dict[str, ErrorSpec] = {entry.code: entry for entry in _ENTRIES}
"""Every error code the service is known to answer -> its ``ErrorSpec`` (the one catalogue of errors)."""


def error_body(
    code: str, message: str | None = None, *, detail: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    """The v2 error body: ``{"error", "code"}``, plus ``detail`` on every 400 and any extra top-level keys."""
    spec = CATALOGUE[code]
    body: dict[str, Any] = {"error": message or spec.message, "code": code}
    if detail is None and spec.status == 400:
        detail = [{"field": None, "message": body["error"], "position": "body", "code": code}]
    if detail is not None:
        body["detail"] = detail
    body.update(extra)
    return body
