"""``/identity`` endpoints: list, one, and create from a face image (multipart)."""

from __future__ import annotations

from anyio import to_thread
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from mock_server.backend import ApiError, probe_image
from mock_server.http.endpoints import user_of
from mock_server.http.parsing import backend_of, check_form, read_body, replay
from mock_server.http.render import json_response
from piktid_spec import LIMITS

MAX_IDENTITY_BYTES = int(LIMITS["identity_max_bytes"].value)


async def list_identities(request: Request) -> Response:
    user = user_of(request)
    return json_response(backend_of(request).list_identities(user, request.query_params))


async def get_identity(request: Request) -> Response:
    user = user_of(request)
    return json_response(backend_of(request).identity(user, request.path_params["identity_code"]))


async def upload_identity(request: Request) -> Response:
    """Multipart ``image`` (+ ``name``, ``tag``): 400 missing or undecodable image, 409 the same image again."""
    user = user_of(request)
    body = await read_body(request, MAX_IDENTITY_BYTES)
    form = await replay(request, body).form(max_files=1, max_fields=10)
    check_form(form)
    image, name, tag = form.get("image"), form.get("name"), form.get("tag")
    if not isinstance(image, UploadFile):
        raise ApiError("invalid_parameter", "image: a multipart file part named 'image' is required.", field="image")
    data = await image.read()
    if await to_thread.run_sync(probe_image, data) is None:
        raise ApiError("undecodable_image", "image: the file is not a decodable image.", field="image")
    answer = backend_of(request).upload_identity(
        user,
        data,
        image.filename,
        name if isinstance(name, str) else None,
        tag if isinstance(tag, str) else None,
    )
    return json_response(answer)
