"""Helpers of the mock_server tests: fixture paths, tokens, shape checks and ``Env`` (the API as calls)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from PIL import Image

from mock_server import Backend, create_app
from mock_server.testing import MockControl
from piktid_spec.shapes import resolved

REPO = Path(__file__).resolve().parents[2]
IMAGES = REPO / "fixtures" / "images"
USERS_FILE = REPO / "fixtures" / "users.json"
TOKEN = "tok-alice"
OTHER = "tok-bob"
ASGI_BASE = "http://testserver"


def shape_errors(instance: Any, name: str) -> list[str]:
    """Why ``instance`` does not match ``piktid_spec.shapes.resolved(name)`` (empty when it does)."""
    validator = Draft202012Validator(resolved(name), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def asgi_client(backend: Backend) -> httpx.AsyncClient:
    """An async client that calls the app of ``backend`` in-process (no lifespan: the clock is manual)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(create_app(backend=backend)), base_url=ASGI_BASE)


@dataclass
class Env:
    """One mock, an async HTTP client on it, and the documented API calls as helpers."""

    client: httpx.AsyncClient
    control: MockControl
    transport: str
    token: str = TOKEN

    @property
    def backend(self) -> Backend:
        return self.control.backend

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def check(self, instance: Any, name: str) -> None:
        """Fail unless ``instance`` has the shape ``name`` of ``piktid_spec.SHAPES``."""
        errors = shape_errors(instance, name)
        assert not errors, f"{name}: {errors}"

    async def request_upload(self, filename: str | None = "photo.jpg", *, token: str | None = None) -> dict[str, Any]:
        body = {"project_name": "image-playground"} | ({"filename": filename} if filename is not None else {})
        response = await self.client.post("/upload", headers=self.auth(token), json=body)
        assert response.status_code == 200, response.text
        return response.json()

    async def upload_bytes(self, data: bytes, filename: str, *, token: str | None = None) -> str:
        """POST /upload then PUT the bytes to the pre-signed URL (as the docs do); the file_id."""
        upload = await self.request_upload(filename, token=token)
        put = await self.client.put(
            upload["upload_url"], headers={"Content-Type": upload["content_type"]}, content=data
        )
        assert put.status_code == 200, put.text
        return upload["file_id"]

    async def upload(self, fixture: str, *, token: str | None = None) -> str:
        """Upload ``fixtures/images/<fixture>``; its file_id."""
        return await self.upload_bytes((IMAGES / fixture).read_bytes(), fixture, token=token)

    async def edit(
        self, payload: Any, *, token: str | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.post("/edit-chat", headers=self.auth(token) | (headers or {}), json=payload)

    async def start(self, payload: Any, *, token: str | None = None, headers: dict[str, str] | None = None) -> str:
        """POST /edit-chat that must be accepted (202); the job_id."""
        response = await self.edit(payload, token=token, headers=headers)
        assert response.status_code == 202, response.text
        return response.json()["job_id"]

    async def results(self, job_id: str, *, token: str | None = None) -> dict[str, Any]:
        response = await self.client.get(f"/jobs/{job_id}/results", headers=self.auth(token))
        assert response.status_code == 200, response.text
        return response.json()

    def advance(self, seconds: float = 1.0) -> None:
        self.control.advance(seconds)

    async def image(self, url: str) -> tuple[httpx.Response, Image.Image]:
        """Download ``url`` without Authorization (as a browser or S3 client would) and decode it."""
        response = await self.client.get(url)
        assert response.status_code == 200, response.text
        image = Image.open(io.BytesIO(response.content))
        image.load()
        return response, image


def json_values(*, tuples: bool = False) -> st.SearchStrategy[Any]:
    """Values a JSON encoder must write as the stdlib does: big integers, awkward floats, any text but
    lone surrogates, nested lists and objects (and tuples, written as lists, when ``tuples``)."""
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(-(2**70), 2**70)
        | text
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.sampled_from([1e-7, 5e-324, 1e16, -1e22, 0.1 + 0.2, 100.0, -0.0])
    )

    def containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        both = st.lists(inner, max_size=5) | st.dictionaries(text, inner, max_size=5)
        return both | st.tuples(inner, inner) if tuples else both

    return st.recursive(scalars, containers, max_leaves=25)
