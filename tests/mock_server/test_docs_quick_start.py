"""The docs' quick start (upload, start, poll results, download), with ``api_url`` pointing at a live mock.

The code below keeps the shape of the docs' snippets (plain ``requests`` calls, ``.json()`` on
every answer, the results loop that prints each completed result), so a change that breaks a
user who copies the docs breaks this test.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from mock_support import IMAGES, shape_errors
from PIL import Image

from mock_server import Settings
from mock_server.testing import LiveServer

POLL_TIMEOUT = 10.0
access_token = "your_access_token"


@pytest.fixture(scope="module")
def api_url(mock_store: str) -> Iterator[str]:
    """A mock on the real clock with no latency: generations finish while the client polls."""
    with LiveServer(Settings(latency=0, seed=3)) as server:
        yield server.url


def upload(api_url: str, path: str, filename: str) -> str:
    r = requests.post(
        api_url + "/upload",
        headers={"Authorization": "Bearer " + access_token},
        json={"project_name": "image-playground", "filename": filename},
    ).json()
    with open(path, "rb") as f:
        requests.put(r["upload_url"], headers={"Content-Type": r["content_type"]}, data=f.read())
    return r["file_id"]


def start(api_url: str, payload: dict[str, Any]) -> str:
    response = requests.post(
        api_url + "/edit-chat",
        headers={"Authorization": "Bearer " + access_token},
        json=payload,
    ).json()
    job_id = response["job_id"]
    print(f"Job started: {job_id}")
    return job_id


def poll_results(api_url: str, job_id: str) -> dict[str, Any]:
    """GET /jobs/{id}/results until each result's own status is final (status is always completed).

    The docs' polling loop kept on purpose (not ``mock_server.testing.wait_until``): it is what users copy.
    """
    deadline = time.monotonic() + POLL_TIMEOUT
    while True:
        response = requests.get(
            api_url + f"/jobs/{job_id}/results",
            headers={"Authorization": "Bearer " + access_token},
        ).json()
        if response["results"] and all(r["status"] in ("completed", "failed") for r in response["results"]):
            return response
        assert time.monotonic() < deadline, f"results of {job_id} never became final: {response}"


def print_results(response: dict[str, Any]) -> None:
    for result in response["results"]:
        if result["status"] == "completed":
            print(f"{result['image_index']}.{result['group_index']}: {result['output']['full_size']}")


def download(url: str) -> Image.Image:
    image = Image.open(io.BytesIO(requests.get(url).content))
    image.load()
    return image


@pytest.mark.parametrize(
    ("extra", "with_image", "size"),
    [
        ({}, True, (1200, 800)),
        ({"output_mode": "ratio", "aspect_ratio": "16:9"}, False, (2048, 1152)),
        ({"output_mode": "custom", "width": 1200, "height": 800}, False, (1200, 800)),
    ],
)
def test_the_docs_quick_start_prints_a_completed_result_at_the_expected_size(
    api_url: str, capsys: pytest.CaptureFixture[str], extra: dict, with_image: bool, size: tuple[int, int]
) -> None:
    payload: dict[str, Any] = {
        "prompt": "Place this sneaker on a wet city street at night with neon reflections.",
        "size": "2K",
        **extra,
    }
    if with_image:
        payload["image_ids"] = [upload(api_url, str(IMAGES / "landscape.jpg"), "product.jpg")]
    job_id = start(api_url, payload)
    response = poll_results(api_url, job_id)
    print_results(response)
    assert not shape_errors(response, "JobResults")
    printed = capsys.readouterr().out
    url = response["results"][0]["output"]["full_size"]
    assert f"Job started: {job_id}" in printed and f"0.0: {url}" in printed
    image = download(url)
    assert (image.format, image.size) == ("PNG", size)


def test_the_docs_text_to_image_snippet_delivers_a_2k_square(api_url: str) -> None:
    job_id = start(
        api_url,
        {
            "prompt": "A bottle of amber perfume half-submerged in a calm ocean at sunset, photorealistic.",
            "size": "2K",
            "num_variations": 1,
        },
    )
    result = poll_results(api_url, job_id)["results"][0]
    assert result["status"] == "completed"
    assert download(result["output"]["thumbnail"]).size == (256, 256)
