"""Response and request shapes as JSON Schema (2020-12, the dialect of OpenAPI 3.1).

``SHAPES`` maps a component name to its schema; ``$ref``s point at ``#/components/schemas/<name>``
so the same dicts drop straight into ``openapi()``. Response shapes list what the mock always
sends as ``required`` and stay open to extra keys, as a tolerant client must.
"""

from __future__ import annotations

from typing import Any

from piktid_spec.params import EDIT_CHAT, Param

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
URL: Schema = {"type": "string", "format": "uri"}
TIMESTAMP: Schema = {"type": "string", "format": "date-time"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Schema], required: tuple[str, ...] | list[str] = (), **extra: Any) -> Schema:
    return {"type": "object", "properties": properties, "required": list(required), **extra}


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


def param_schema(p: Param) -> Schema:
    """JSON Schema of one ``EDIT_CHAT`` field, straight from its declaration."""
    if p.type == "string[]":
        schema: Schema = array({"type": "string", "minLength": 1})
        if p.max_items is not None:
            schema["maxItems"] = p.max_items
    elif p.type == "integer":
        schema = {"type": "integer"}
        for key, value in (("minimum", p.minimum), ("maximum", p.maximum), ("multipleOf", p.multiple_of)):
            if value is not None:
                schema[key] = value
    else:
        schema = {"type": "string", "enum": list(p.enum)} if p.enum else {"type": "string"}
    return {**nullable(schema), "description": p.description + _NULL_MEANS_DEFAULT, "default": p.default}


_NULL_MEANS_DEFAULT = " null means the default (inferred: the service treats a null field as absent)."


def _given(name: str, schema: Schema) -> Schema:
    return {"required": [name], "properties": {name: schema}}


AT_LEAST_ONE_INPUT: list[Schema] = [
    _given("prompt", {"type": "string", "minLength": 1}),
    _given("image_ids", {"type": "array", "minItems": 1}),
    _given("identity_codes", {"type": "array", "minItems": 1}),
]
"""The documented "at least one of prompt, image_ids, or identity_codes" (null, "" and [] count as absent)."""
CUSTOM_NEEDS_BOTH: Schema = {
    "if": {"required": ["output_mode"], "properties": {"output_mode": {"const": "custom"}}},
    "then": {"required": ["width", "height"], "properties": {"width": INTEGER, "height": INTEGER}},
}
"""``custom_dimensions_missing``: output_mode "custom" needs both width and height (not null)."""


def _edit_chat_request() -> Schema:
    return {
        "type": "object",
        "properties": {p.name: param_schema(p) for p in EDIT_CHAT.params},
        "anyOf": AT_LEAST_ONE_INPUT,
        "allOf": [CUSTOM_NEEDS_BOTH],
        "description": "At least one of prompt, image_ids or identity_codes.",
    }


PROJECT_NAME: Schema = {"type": "string", "minLength": 1, "maxLength": 128}
_LINKS = obj({"full_size": nullable(URL), "thumbnail": nullable(URL)}, ("full_size", "thumbnail"))
_JOB_FIELDS: dict[str, Schema] = {
    "job_id": STRING,
    "job_type": {"type": "string", "const": "edit_chat"},
    "status": {
        "type": "string",
        "const": "completed",
        "description": "Always completed for Image Playground: not a readiness signal.",
    },
    "progress": NUMBER,
    "total_images": INTEGER,
    "processed_images": INTEGER,
    "error_message": nullable(STRING),
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
}
_RESULT_STATUS: Schema = {"type": "string", "enum": ["processing", "completed", "failed"]}
_IDENTITY_FIELDS: dict[str, Schema] = {
    "identity_code": STRING,
    "name": STRING,
    "preprocessing_status": STRING,
    "visibility": STRING,
    "link": nullable(URL),
    "created_at": TIMESTAMP,
    "locked": BOOLEAN,
    "tier": nullable(STRING),
    "groups": array(STRING),
    "original_filename": nullable(STRING),
    "created_by": nullable(STRING),
    "image_description": nullable(STRING),
}
_WEBHOOK_FIELDS: dict[str, Schema] = {
    "id": STRING,
    "url": URL,
    "is_active": BOOLEAN,
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "last_response_status": nullable(INTEGER),
    "last_response_at": nullable(TIMESTAMP),
}

SHAPES: dict[str, Schema] = {
    "ErrorDetail": obj(
        {
            "field": nullable(STRING),
            "message": STRING,
            "position": {"type": "string", "enum": ["body", "query", "path", "header"]},
            "code": STRING,
        },
        ("field", "message", "position"),
    ),
    "Error": obj({"error": STRING, "code": STRING, "detail": array(ref("ErrorDetail"))}, ("error", "code")),
    "InsufficientCredits": obj(
        {
            "error": STRING,
            "code": STRING,
            "required_credits": NUMBER,
            "in_progress_credits": NUMBER,
            "user_credits": NUMBER,
        },
        ("error", "code", "required_credits", "in_progress_credits", "user_credits"),
    ),
    "UploadRequest": obj(
        {
            "filename": {**nullable(STRING), "description": "Empty or absent: a random UUID." + _NULL_MEANS_DEFAULT},
            "project_name": {**nullable(PROJECT_NAME), "description": "Created on first use." + _NULL_MEANS_DEFAULT},
        }
    ),
    "UploadResponse": obj(
        {
            "upload_url": URL,
            "download_url": URL,
            "file_id": STRING,
            "filename": STRING,
            "content_type": {"type": "string", "enum": ["image/jpeg", "image/png", "image/webp"]},
            "project_name": nullable(STRING),
            "project_id": INTEGER,
        },
        ("upload_url", "download_url", "file_id", "filename", "content_type"),
    ),
    "ProjectRequest": obj({"project_name": PROJECT_NAME}, ("project_name",)),
    "Project": obj(
        {
            "project_id": INTEGER,
            "project_key": STRING,
            "project_name": STRING,
            "project_text": STRING,
            "created_at": TIMESTAMP,
            "file_count": INTEGER,
        },
        ("project_id", "project_key", "project_name", "project_text", "created_at"),
    ),
    "ProjectList": obj(
        {"projects": array(ref("Project")), "pagination": ref("Pagination")}, ("projects", "pagination")
    ),
    "EditChatRequest": _edit_chat_request(),
    "EditChatAccepted": obj(
        {"job_id": STRING, "conversation_id": STRING, "status": {"type": "string", "const": "processing"}},
        ("job_id", "conversation_id", "status"),
    ),
    "JobStatus": obj(_JOB_FIELDS, ("job_id", "job_type", "status", "progress")),
    "ResultItem": obj(
        {
            "job_id": STRING,
            "image_index": INTEGER,
            "group_index": INTEGER,
            "version": INTEGER,
            "inputs": array(_LINKS),
            "output": _LINKS,
            "model_used": nullable(STRING),
            "status": _RESULT_STATUS,
            "processing_time": nullable(NUMBER),
            "error_message": nullable(STRING),
            "created_at": TIMESTAMP,
            "width": nullable(INTEGER),
            "height": nullable(INTEGER),
            "original_filename": STRING,
            "download_filename": STRING,
        },
        (
            "image_index",
            "group_index",
            "version",
            "output",
            "model_used",
            "status",
        ),
    ),
    "Summary": obj(
        {
            "total_images": INTEGER,
            "successful": INTEGER,
            "failed": INTEGER,
            "processing": INTEGER,
            "success_rate": NUMBER,
            "average_quality_score": nullable(NUMBER),
        }
    ),
    "JobResults": obj(
        {
            **_JOB_FIELDS,
            "results": array(ref("ResultItem")),
            "summary": ref("Summary"),
            "credits_used": NUMBER,
            "edit_chat_attachments": array(obj({})),
            "edit_chat_identities": array(obj({})),
        },
        ("job_id", "job_type", "status", "results", "summary"),
    ),
    "ImageResultData": obj(
        {
            "id_task": STRING,
            "image_index": INTEGER,
            "group_index": INTEGER,
            "status": {"type": "string", "enum": ["completed", "failed"]},
            "output_link": nullable(URL),
            "output_thumbnail_link": nullable(URL),
            "error_message": nullable(STRING),
        },
        ("id_task", "image_index", "group_index", "status"),
    ),
    "Notification": obj(
        {"id": INTEGER, "name": STRING, "timestamp": NUMBER, "data": {"type": "object"}},
        ("id", "name", "timestamp", "data"),
    ),
    "NotificationsRequest": obj(
        {
            "id_task": {"anyOf": [STRING, array(STRING), {"type": "null"}]},
            "name_list": {"anyOf": [STRING, array(STRING), {"type": "null"}]},
        }
    ),
    "WebhookRequest": obj({"url": URL}, ("url",)),
    "Webhook": obj(_WEBHOOK_FIELDS, ("id", "url", "is_active")),
    "WebhookWithSecret": obj({**_WEBHOOK_FIELDS, "secret": STRING}, ("id", "url", "is_active", "secret")),
    "Identity": obj(_IDENTITY_FIELDS, ("identity_code", "name")),
    "Pagination": obj(
        {
            "page": INTEGER,
            "per_page": INTEGER,
            "total": INTEGER,
            "pages": INTEGER,
            "has_next": BOOLEAN,
            "has_prev": BOOLEAN,
        },
        ("page", "per_page", "total", "pages", "has_next", "has_prev"),
    ),
    "IdentityList": obj(
        {"identities": array(ref("Identity")), "pagination": ref("Pagination")}, ("identities", "pagination")
    ),
    "IdentityUploadResponse": obj(
        {**_IDENTITY_FIELDS, "success": BOOLEAN, "face_detected": BOOLEAN},
        ("identity_code", "success"),
    ),
}
"""Name -> JSON Schema of every documented response body (``resolved(name)`` inlines references)."""


def resolved(name: str) -> Schema:
    """``SHAPES[name]`` with every ``$ref`` inlined: a standalone schema for any JSON Schema validator."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(SHAPES[node["$ref"].rsplit("/", 1)[-1]])
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    shape: dict[str, Any] = walk(SHAPES[name])
    return shape
