"""The storage host: pre-signed PUT uploads and unauthenticated downloads (S3 / CloudFront stand-in)."""

from __future__ import annotations

from collections import OrderedDict

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response

from mock_server.backend import ApiError, RenderSpec, probe_image, render_png
from mock_server.http.parsing import backend_of, declared_length, read_body


class RenderCache:
    """Rendered PNGs by (spec, size), least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[RenderSpec, tuple[int, int]], bytes] = OrderedDict()

    async def get(self, spec: RenderSpec, size: tuple[int, int]) -> bytes:
        key = (spec, size)
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        data = await to_thread.run_sync(render_png, spec, size)
        self._items[key] = data
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return data


async def put_upload(request: Request) -> Response:
    backend = backend_of(request)
    file_id = backend.check_upload(
        request.path_params["file_id"],
        request.query_params,
        request.headers.get("content-type"),
        "authorization" in request.headers,
        declared_length(request),
    )
    data = await read_body(request, backend.settings.upload_max_bytes, backend.upload_too_large)
    size = await to_thread.run_sync(probe_image, data)
    etag = backend.complete_upload(file_id, data, size)
    return Response(status_code=200, headers={"ETag": etag})


async def download(request: Request) -> Response:
    backend = backend_of(request)
    kind, item, name = (request.path_params[k] for k in ("kind", "item_id", "name"))
    if kind == "uploads":
        uploaded = backend.uploaded(item, name)
        if uploaded is not None:
            return Response(uploaded[0], media_type=uploaded[1])
    elif kind == "outputs":
        found = backend.output(item, name)
        if found is not None:
            data = await request.app.state.renders.get(*found)
            return Response(data, media_type="image/png", headers={"Cache-Control": "public, max-age=31536000"})
    raise ApiError("not_found", "No such file (or the link is not valid).")
