"""The Image Playground quick start, written as a new user would, once per fixture of the plugin.

Upload an image (pre-signed PUT, no Authorization header), start an edit, learn that it is ready
(polling results, the SSE stream, or the docs' own ``requests`` loop) and download the output.
"""

from __future__ import annotations

import io
import json

import anyio
import httpx
import pytest
import requests
from httpx_sse import aconnect_sse
from PIL import Image

from mock_server.testing import sample_image

API = "https://v2.api.piktid.com"
TOKEN = "my-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_quick_start_with_a_sync_httpx_client(piktid_mock, tmp_path):
    product = tmp_path / "product.png"
    product.write_bytes(sample_image(640, 480))
    with httpx.Client(base_url=API, headers=AUTH) as api, httpx.Client() as storage:
        upload = api.post("/upload", json={"project_name": "image-playground", "filename": "product.png"})
        assert upload.status_code == 200
        target = upload.json()
        put = storage.put(
            target["upload_url"], headers={"Content-Type": target["content_type"]}, content=product.read_bytes()
        )
        assert put.status_code == 200

        started = api.post(
            "/edit-chat",
            json={
                "prompt": "Place this sneaker on a wet city street at night.",
                "image_ids": [target["file_id"]],
                "size": "2K",
            },
        )
        assert started.status_code == 202
        job_id = started.json()["job_id"]

        results = api.get(f"/jobs/{job_id}/results").json()["results"]
        assert [r["status"] for r in results] == ["completed"]
        image = storage.get(results[0]["output"]["full_size"])

    assert image.status_code == 200
    assert Image.open(io.BytesIO(image.content)).size == (640, 480)  # output_mode auto keeps the input's size
    assert piktid_mock.account(TOKEN)["charged_credits"] == 5


@pytest.mark.anyio
async def test_quick_start_with_an_async_httpx_client_streaming_events(piktid_mock):
    async with httpx.AsyncClient(base_url=API, headers=AUTH) as api:
        with anyio.fail_after(10):
            async with aconnect_sse(api, "GET", "/notifications/events") as source:
                events = source.aiter_sse()
                assert (await anext(events)).event == "backfill_complete"  # the stream is live before any job

                started = await api.post("/edit-chat", json={"prompt": "A bottle of amber perfume at sunset."})
                job_id = started.json()["job_id"]
                async for event in events:
                    notification = json.loads(event.data)
                    if notification.get("name") == "image_result" and notification["data"]["id_task"] == job_id:
                        break
                assert not source.response.is_closed  # it arrived on the open stream, not after it ended

    data = notification["data"]
    assert data["status"] == "completed"
    async with httpx.AsyncClient() as storage:
        image = await storage.get(data["output_link"])
    assert image.headers["content-type"] == "image/png"


def test_quick_start_with_the_docs_requests_code(piktid_server, tmp_path):
    api_url = piktid_server.url
    access_token = "your_access_token"
    (tmp_path / "product.jpg").write_bytes(sample_image())

    def upload(path, filename):
        r = requests.post(
            api_url + "/upload",
            headers={"Authorization": "Bearer " + access_token},
            json={"project_name": "image-playground", "filename": filename},
        ).json()
        with open(path, "rb") as f:
            requests.put(r["upload_url"], headers={"Content-Type": r["content_type"]}, data=f.read())
        return r["file_id"]

    image_id = upload(tmp_path / "product.jpg", "product.jpg")
    response = requests.post(
        api_url + "/edit-chat",
        headers={"Authorization": "Bearer " + access_token},
        json={
            "prompt": "Place this sneaker on a wet city street at night with neon reflections.",
            "image_ids": [image_id],
            "size": "2K",
        },
    ).json()
    job_id = response["job_id"]

    headers = {"Authorization": "Bearer " + access_token}
    ready = None
    with requests.get(api_url + "/notifications/events", headers=headers, stream=True, timeout=10) as response:
        response.raise_for_status()
        for raw_line in response.iter_lines(decode_unicode=True):
            if not raw_line or raw_line.startswith(":") or not raw_line.startswith("data: "):
                continue
            notification = json.loads(raw_line[6:])
            if notification.get("name") != "image_result":  # the docs' ["name"] fails on backfill_complete's {}
                continue
            data = notification.get("data", {})
            if data.get("id_task") != job_id:
                continue
            if data.get("status") == "completed":
                ready = data["output_link"]
                break

    results = requests.get(api_url + f"/jobs/{job_id}/results", headers=headers).json()
    assert [r["output"]["full_size"] for r in results["results"] if r["status"] == "completed"] == [ready]
    assert requests.get(ready).headers["Content-Type"] == "image/png"
