"""``openapi()``: an OpenAPI 3.1 document of every endpoint the mock serves, built from ``SHAPES``."""

from __future__ import annotations

import copy
from typing import Any

from piktid_spec.catalogue import CATALOGUE
from piktid_spec.params import EDIT_CHAT
from piktid_spec.shapes import SHAPES, Schema, ref

API_VERSION = "2.0.0-mock"
_ERROR_STATUSES = (400, 401, 402, 403, 404, 409, 413, 429)
MAX_PAGE = 1_000_000
"""The largest ``page`` the mock's listings accept (400 above; inferred: far past any real list)."""
METHOD_NOT_ALLOWED = (
    "A method a path does not serve answers 405 with the error body and an Allow header naming the "
    "path's methods (HTTP semantics). Every response carries CORS headers; an OPTIONS preflight answers 200 "
    "(inferred: the API is called from browsers, e.g. the notifications stream's ?token=)."
)


def _json(schema: Schema) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _error(status: int) -> dict[str, Any]:
    codes = sorted(code for code, spec in CATALOGUE.items() if spec.status == status)
    schema = ref("InsufficientCredits") if status == 402 else ref("Error")
    return {"description": "Error codes: " + ", ".join(codes), **_json(schema)}


def _op(
    summary: str,
    ok: int,
    body: Schema | None,
    *,
    errors: tuple[int, ...] = (400, 401),
    request: Schema | None = None,
    params: list[dict[str, Any]] | None = None,
    public: bool = False,
    content: dict[str, Any] | None = None,
    body_required: bool = True,
) -> dict[str, Any]:
    ok_response: dict[str, Any] = {"description": "Success"}
    if content is not None:
        ok_response["content"] = content
    elif body is not None:
        ok_response.update(_json(body))
    op: dict[str, Any] = {"summary": summary, "responses": {str(ok): ok_response}}
    op["responses"].update({str(s): _error(s) for s in errors if not (public and s == 401)})
    if request is not None:
        op["requestBody"] = {"required": body_required, **_json(request)}
    if params:
        op["parameters"] = params
    if public:
        op["security"] = []
    return op


def _param(name: str, where: str, schema: Schema, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema}


_JOB_ID = _param("job_id", "path", {"type": "string"})
_PAGINATION_QUERY = [
    _param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}),
    _param("per_page", "query", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
]
_IDENTITY_QUERY = [
    *_PAGINATION_QUERY,
    _param("search", "query", {"type": "string"}),
    _param("sort_by", "query", {"type": "string", "enum": ["created_at", "name"]}),
    _param("order", "query", {"type": "string", "enum": ["desc", "asc"]}),
    _param("ownership", "query", {"type": "string", "enum": ["mine", "shared", "default"]}),
    _param("include_locked", "query", {"type": "boolean", "default": False}),
]
_EVENTS_QUERY = [_param(n, "query", {"type": "string"}) for n in ("token", "id_task", "id_image", "name_list")]
_UPLOAD_QUERY = [
    _param(n, "query", {"type": "string"}, True)
    for n in ("X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature")
]
_IMAGE = {
    "image/png": {"schema": {"type": "string", "format": "binary"}},
    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
    "image/webp": {"schema": {"type": "string", "format": "binary"}},
}
_SSE = {
    "text/event-stream": {
        "schema": {
            "type": "string",
            "description": (
                "event: backfill frames (each notification not deleted and at most 10 minutes old), one "
                "event: backfill_complete frame with data: {}, then live data: frames of Notification JSON, "
                ":keepalive comments. Every frame has an id: line for Last-Event-ID."
            ),
        }
    }
}


def _paths() -> dict[str, Any]:
    errors_all = (400, 401, 402, 403, 404, 429)
    return {
        "/upload": {
            "post": _op(
                "Request a pre-signed upload URL (a project_name is created on first use)",
                200,
                ref("UploadResponse"),
                request=ref("UploadRequest"),
                body_required=False,
            )
        },
        "/project": {
            "post": _op(
                "Create a project (409 with project_id when the name exists)",
                200,
                ref("Project"),
                errors=(400, 401, 409, 413),
                request=ref("ProjectRequest"),
            ),
            "get": _op("List the user's projects", 200, ref("ProjectList"), params=_PAGINATION_QUERY),
        },
        "/storage/uploads/{file_id}": {
            "put": _op(
                "Pre-signed upload (no Authorization header)",
                200,
                None,
                errors=(400, 403, 413),
                public=True,
                params=[_param("file_id", "path", {"type": "string"}), *_UPLOAD_QUERY],
            )
        },
        "/storage/files/{kind}/{item_id}/{name}": {
            "get": _op(
                "Download an uploaded or generated image (no Authorization; links are signed)",
                200,
                None,
                errors=(404,),
                public=True,
                content=_IMAGE,
                params=[_param(n, "path", {"type": "string"}) for n in ("kind", "item_id", "name")],
            )
        },
        EDIT_CHAT.path: {
            "post": _op(
                EDIT_CHAT.summary, 202, ref("EditChatAccepted"), errors=errors_all, request=ref("EditChatRequest")
            )
        },
        "/jobs/{job_id}/status": {
            "get": _op(
                "Job status (always completed for Image Playground)",
                200,
                ref("JobStatus"),
                errors=(401, 404),
                params=[_JOB_ID],
            )
        },
        "/jobs/{job_id}/results": {
            "get": _op(
                "Per-variation results (latest version of each)",
                200,
                ref("JobResults"),
                errors=(401, 404),
                params=[_JOB_ID],
            )
        },
        "/identity": {
            "get": _op("List identities (own and tier defaults)", 200, ref("IdentityList"), params=_IDENTITY_QUERY)
        },
        "/identity/{identity_code}": {
            "get": _op(
                "One identity",
                200,
                ref("Identity"),
                errors=(401, 404),
                params=[_param("identity_code", "path", {"type": "string"})],
            )
        },
        "/identity/upload": {
            "post": {
                **_op(
                    "Create an identity from a face image (409 with existing_identity_code for the same image)",
                    200,
                    ref("IdentityUploadResponse"),
                    errors=(400, 401, 409, 413),
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["image"],
                                "properties": {
                                    "image": {
                                        "type": "string",
                                        "format": "binary",
                                        "description": "A decodable JPEG, PNG or WebP face image (400 otherwise).",
                                    },
                                    "name": {"type": "string"},
                                    "tag": {"type": "string"},
                                },
                            }
                        }
                    },
                },
            }
        },
        "/notifications/events": {
            "get": _op("Notification stream (SSE)", 200, None, errors=(400, 401), params=_EVENTS_QUERY, content=_SSE)
        },
        "/notifications": {
            "post": _op(
                "List notifications (polling)",
                200,
                {"type": "array", "items": ref("Notification")},
                request=ref("NotificationsRequest"),
                body_required=False,
            )
        },
        "/notifications/{notification_id}": {
            "delete": _op(
                "Consume a notification",
                200,
                {"type": "object"},
                errors=(400, 401, 404),
                params=[_param("notification_id", "path", {"type": "integer"})],
            )
        },
        "/webhooks": {
            "put": _op(
                "Set the webhook URL (rotates the secret, sends ping)",
                200,
                ref("WebhookWithSecret"),
                request=ref("WebhookRequest"),
            ),
            "get": _op("The webhook (no secret)", 200, ref("Webhook"), errors=(401, 404)),
            "delete": _op("Remove the webhook", 200, {"type": "object"}, errors=(401, 404)),
        },
        "/webhooks/test": {"post": _op("Send a test event", 200, {"type": "object"}, errors=(401, 404))},
    }


def _webhooks() -> dict[str, Any]:
    def event(name: str) -> dict[str, Any]:
        return {
            "post": {
                "summary": f"{name} delivery, signed with X-Webhook-Signature: sha256=<hex>",
                "parameters": [
                    _param("X-Webhook-Signature", "header", {"type": "string"}, True),
                    _param("X-Webhook-Event", "header", {"type": "string"}, True),
                    _param("X-Webhook-Delivery", "header", {"type": "string"}, True),
                ],
                "requestBody": {"required": True, **_json(ref("Notification"))},
                "responses": {"2XX": {"description": "Received; anything else is retried"}},
            }
        }

    return {name: event(name) for name in ("image_result", "batch_edit", "ping", "test")}


def openapi() -> dict[str, Any]:
    """A fresh OpenAPI 3.1 document (callers may mutate it)."""
    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "PiktID Image Playground API (v2), as served by piktid-mock",
                "version": API_VERSION,
                "description": METHOD_NOT_ALLOWED,
            },
            "servers": [{"url": "https://v2.api.piktid.com"}, {"url": "http://127.0.0.1:8000"}],
            "security": [{"bearer": []}],
            "paths": _paths(),
            "webhooks": _webhooks(),
            "components": {"schemas": SHAPES, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        }
    )
