"""POST /upload and the pre-signed PUT: what a client of the docs' upload() meets, S3 quirks included."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from mock_support import IMAGES, OTHER, Env

from mock_server import Backend, Settings

pytestmark = pytest.mark.anyio


def with_query(url: str, **changes: str) -> str:
    """``url`` with some query parameters replaced (a tampered pre-signed URL)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) | changes
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [("shoe.jpg", "image/jpeg"), ("shoe.JPEG", "image/jpeg"), ("shoe.png", "image/png"), ("shoe.webp", "image/webp")],
)
async def test_upload_answers_200_with_absolute_urls_and_the_content_type_of_the_extension(
    env: Env, filename: str, content_type: str
) -> None:
    response = await env.client.post("/upload", headers=env.auth(), json={"filename": filename})
    assert response.status_code == 200
    body = response.json()
    env.check(body, "UploadResponse")
    assert body["content_type"] == content_type
    assert body["upload_url"].startswith(str(env.client.base_url).rstrip("/") + "/")
    assert body["filename"] == filename


async def test_upload_without_filename_gets_a_generated_name(env: Env) -> None:
    for request in ({"json": {}}, {"content": b""}):
        response = await env.client.post("/upload", headers=env.auth(), **request)
        assert response.status_code == 200, response.text
        assert response.json()["filename"] and response.json()["content_type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"filename": "notes.gif"}, "unsupported_file_type", "filename"),
        ({"filename": 12}, "invalid_type", "filename"),
        ({"filename": "a.jpg", "project_name": ""}, "invalid_parameter", "project_name"),
        ({"filename": "a.jpg", "project_name": "p" * 129}, "invalid_parameter", "project_name"),
    ],
)
async def test_bad_upload_requests_are_400_naming_the_field(env: Env, body: dict, code: str, field: str) -> None:
    response = await env.client.post("/upload", headers=env.auth(), json=body)
    assert response.status_code == 400
    error = response.json()
    env.check(error, "Error")
    assert error["code"] == code
    assert [d["field"] for d in error["detail"]] == [field]


async def test_put_to_the_upload_url_needs_no_authorization_and_the_file_downloads_back(env: Env) -> None:
    data = (IMAGES / "portrait.png").read_bytes()
    upload = await env.request_upload("portrait.png")
    put = await env.client.put(upload["upload_url"], headers={"Content-Type": "image/png"}, content=data)
    assert put.status_code == 200
    download = await env.client.get(upload["download_url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/png"
    assert download.content == data


async def test_put_with_another_content_type_is_403_signature_mismatch(env: Env) -> None:
    upload = await env.request_upload("photo.jpg")
    put = await env.client.put(upload["upload_url"], headers={"Content-Type": "image/png"}, content=b"x")
    assert put.status_code == 403
    assert put.json()["code"] == "upload_signature_mismatch"


@pytest.mark.parametrize(
    "change", [{"X-Amz-Signature": "0" * 64}, {"X-Amz-Expires": "999999"}, {"X-Amz-Date": "20300101T000000Z"}]
)
async def test_put_to_a_tampered_url_is_403(env: Env, change: dict[str, str]) -> None:
    upload = await env.request_upload("photo.jpg")
    put = await env.client.put(
        with_query(upload["upload_url"], **change), headers={"Content-Type": upload["content_type"]}, content=b"x"
    )
    assert put.status_code == 403
    assert put.json()["code"] == "upload_signature_mismatch"


async def test_put_with_an_authorization_header_is_400_one_auth_mechanism(env: Env) -> None:
    upload = await env.request_upload("photo.jpg")
    put = await env.client.put(
        upload["upload_url"], content=b"x", headers={"Content-Type": upload["content_type"], **env.auth()}
    )
    assert put.status_code == 400
    assert put.json()["code"] == "upload_auth_conflict"


async def test_the_upload_url_expires_after_the_ttl_on_the_mock_clock(env: Env) -> None:
    fresh, stale = await env.request_upload("a.jpg"), await env.request_upload("b.jpg")
    env.advance(899)
    assert (
        await env.client.put(fresh["upload_url"], headers={"Content-Type": "image/jpeg"}, content=b"x")
    ).status_code == 200
    env.advance(2)
    put = await env.client.put(stale["upload_url"], headers={"Content-Type": "image/jpeg"}, content=b"x")
    assert put.status_code == 403
    assert put.json()["code"] == "upload_expired"


@pytest.fixture
async def small(make_env: Callable[..., Awaitable[Env]]) -> AsyncIterator[Env]:
    yield await make_env(upload_max_bytes=1000)


async def test_an_upload_over_the_size_limit_is_413_with_a_clear_body(small: Env) -> None:
    upload = await small.request_upload("photo.jpg")
    at_limit = await small.client.put(upload["upload_url"], headers={"Content-Type": "image/jpeg"}, content=b"x" * 1000)
    assert at_limit.status_code == 200
    put = await small.client.put(upload["upload_url"], headers={"Content-Type": "image/jpeg"}, content=b"x" * 1001)
    assert put.status_code == 413
    assert put.json()["code"] == "body_too_large" and put.json()["max_bytes"] == 1000
    assert "1000 bytes" in put.json()["error"]


async def test_a_streamed_upload_without_content_length_is_cut_off_at_the_limit(small: Env) -> None:
    upload = await small.request_upload("photo.jpg")

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * 400

    put = await small.client.put(upload["upload_url"], headers={"Content-Type": "image/jpeg"}, content=chunks())
    assert put.status_code == 413


async def test_a_file_never_put_is_404_when_referenced(env: Env) -> None:
    upload = await env.request_upload("photo.jpg")
    response = await env.edit({"prompt": "x", "image_ids": [upload["file_id"]], "size": "1K"})
    assert response.status_code == 404
    assert response.json()["code"] == "file_not_found"
    assert upload["file_id"] in response.json()["error"]


async def test_undecodable_bytes_are_accepted_at_put_but_edit_chat_is_400_naming_the_file(env: Env) -> None:
    file_id = await env.upload("corrupt.jpg")
    response = await env.edit({"prompt": "fix it", "image_ids": [file_id], "size": "1K"})
    assert response.status_code == 400
    body = response.json()
    env.check(body, "Error")
    assert body["code"] == "undecodable_image"
    assert file_id in body["error"]
    assert body["detail"][0]["field"] == "image_ids" and file_id in body["detail"][0]["message"]


async def test_another_users_file_is_404_not_403(env: Env) -> None:
    file_id = await env.upload("landscape.jpg", token=OTHER)
    response = await env.edit({"prompt": "x", "image_ids": [file_id], "size": "1K"})
    assert response.status_code == 404
    assert response.json()["code"] == "file_not_found"


async def test_public_url_is_the_base_of_upload_download_and_output_links(
    make_env: Callable[..., Awaitable[Env]],
) -> None:
    api = await make_env(public_url="https://mock.example")
    upload = await api.request_upload("a.png")
    assert upload["upload_url"].startswith("https://mock.example/storage/uploads/")
    assert upload["download_url"].startswith("https://mock.example/storage/files/uploads/")
    job_id = await api.start({"prompt": "x", "size": "1K"})
    api.advance(1)
    assert (await api.results(job_id))["results"][0]["output"]["full_size"].startswith("https://mock.example/")


def test_the_default_size_limit_is_stated_in_mib() -> None:
    error = Backend(Settings(), fresh=True).upload_too_large()
    assert (error.status, error.body()["max_bytes"]) == (413, 25 * 2**20)
    assert "25 MiB (26214400 bytes)" in error.message
