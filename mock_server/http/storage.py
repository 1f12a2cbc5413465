"""The storage host: pre-signed PUT uploads and unauthenticated downloads (S3 / CloudFront stand-in)."""

from __future__ import annotations

from collections import OrderedDict

from anyio import CapacityLimiter, to_thread
from starlette.requests import Request
from starlette.responses import Response

from mock_server.backend import ApiError, RenderSpec, probe_image, render_png
from mock_server.http.parsing import backend_of, declared_length, read_body

SMALL_PIXELS = 256 * 256
"""A thumbnail: rendered at once, whatever the big renders in progress (a few MiB, a few ms)."""


class RenderCache:
    """Rendered PNGs by (spec, size), least recently used dropped first.

    Renders larger than a thumbnail take a slot of ``concurrency``: a 7000x7000 render peaks at
    about 240 MiB of pixels, so without the bound eight at once reached 2 GiB; with it the peak is
    ``concurrency`` renders' worth and the others wait their turn (README, "Reliability")."""

    def __init__(self, size: int, concurrency: int = 2) -> None:
        self.size, self.concurrency = size, concurrency
        self._items: OrderedDict[tuple[RenderSpec, tuple[int, int]], bytes] = OrderedDict()
        self._limiter: CapacityLimiter | None = None

    def _big(self) -> CapacityLimiter:
        """Made on first use: a limiter belongs to the event loop that runs the app."""
        if self._limiter is None:
            self._limiter = CapacityLimiter(self.concurrency)
        return self._limiter

    async def get(self, spec: RenderSpec, size: tuple[int, int]) -> bytes:
        key = (spec, size)
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        limiter = self._big() if size[0] * size[1] > SMALL_PIXELS else None
        data = await to_thread.run_sync(render_png, spec, size, limiter=limiter)
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
