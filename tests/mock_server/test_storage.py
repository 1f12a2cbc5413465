"""Output links: real PNGs at the delivered size, thumbnails, unguessable links, deterministic renders."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import anyio
import pytest
from mock_support import OTHER, Env, asgi_client

from mock_server import Backend, Settings
from mock_server.backend import RenderSpec, render_png
from mock_server.http import storage
from mock_server.testing import MockControl

pytestmark = pytest.mark.anyio


async def completed(env: Env, payload: dict[str, Any]) -> dict[str, Any]:
    """The first result of a finished job started with ``payload``."""
    job_id = await env.start(payload)
    env.advance(1)
    result = (await env.results(job_id))["results"][0]
    assert result["status"] == "completed"
    return result


@pytest.mark.parametrize(
    ("extra", "size"),
    [
        ({"output_mode": "auto"}, (1200, 800)),
        ({"output_mode": "match"}, (1200, 800)),
        ({"output_mode": "ratio", "aspect_ratio": "16:9"}, (2048, 1152)),
        ({"output_mode": "custom", "width": 1200, "height": 800}, (1200, 800)),
        ({"output_mode": "custom", "width": 512, "height": 768}, (512, 768)),
    ],
)
async def test_outputs_download_as_png_at_the_delivered_size(env: Env, extra: dict, size: tuple[int, int]) -> None:
    file_id = await env.upload("landscape.jpg")
    result = await completed(env, {"prompt": "a red bicycle", "size": "2K", "image_ids": [file_id], **extra})
    response, image = await env.image(result["output"]["full_size"])
    assert response.headers["content-type"] == "image/png" and image.format == "PNG"
    assert image.size == size == (result["width"], result["height"])


async def test_a_prompt_without_input_is_a_square_at_the_size_base(env: Env) -> None:
    result = await completed(env, {"prompt": "a red bicycle", "size": "1K"})
    assert (await env.image(result["output"]["full_size"]))[1].size == (1024, 1024)


async def test_the_thumbnail_keeps_the_aspect_with_a_long_side_of_at_most_256(env: Env) -> None:
    file_id = await env.upload("portrait.png")
    result = await completed(env, {"prompt": "x", "size": "1K", "image_ids": [file_id]})
    _, thumb = await env.image(result["output"]["thumbnail"])
    assert max(thumb.size) <= 256
    assert abs(thumb.size[0] / thumb.size[1] - 600 / 900) < 0.01


def forged(url: str, *, job_id: str | None = None, token: str | None = None) -> str:
    """``url`` (``.../outputs/<job>/<i>-<g>-<variant>-<token>.png``) with another job id or signature."""
    head, job, name = url.rsplit("/", 2)
    parts = name.removesuffix(".png").split("-")
    parts[3] = token or parts[3]
    return f"{head}/{job_id or job}/{'-'.join(parts)}.png"


async def test_output_links_cannot_be_forged_for_another_job(env: Env) -> None:
    mine = await completed(env, {"prompt": "x", "size": "1K"})
    their_job = await env.start({"prompt": "y", "size": "1K"}, token=OTHER)
    env.advance(1)
    url = mine["output"]["full_size"]
    for bad in (
        forged(url, job_id=their_job),
        forged(url, token="0" * 32),
        forged(url, token="zz"),
        url.replace("-full-", "-thumb-"),
        url.rsplit("/", 1)[0] + "/junk.png",
    ):
        response = await env.client.get(bad)
        assert response.status_code == 404, bad
        assert response.json()["code"] == "not_found"


async def test_no_output_link_before_the_variation_completes(env: Env) -> None:
    job_id = await env.start({"prompt": "x", "size": "1K"})
    link = env.backend.output_link(job_id, 0, 0, "full")
    assert (await env.client.get(link)).status_code == 404
    env.advance(1)
    assert (await env.client.get(link)).status_code == 200


async def test_an_uploaded_file_link_with_a_bad_signature_is_404(env: Env) -> None:
    upload = await env.request_upload("a.png")
    await env.client.put(upload["upload_url"], headers={"Content-Type": "image/png"}, content=b"png")
    head, _ = upload["download_url"].rsplit("/", 1)
    assert (await env.client.get(f"{head}/{'0' * 32}.png")).status_code == 404
    assert (await env.client.get(upload["download_url"].replace("/uploads/", "/other/"))).status_code == 404


async def test_the_same_request_and_seed_render_the_same_bytes() -> None:
    images = []
    for _ in range(2):
        backend = Backend(Settings(clock="manual", seed=5), fresh=True)
        async with asgi_client(backend) as client:
            api = Env(client, MockControl(backend), "asgi")
            result = await completed(api, {"prompt": "same", "size": "1K"})
            images.append((await client.get(result["output"]["full_size"])).content)
    assert images[0] == images[1]


def test_a_render_shows_a_different_image_for_another_prompt() -> None:
    spec = RenderSpec("job_1", 0, 0, "a cat", "nano_banana_2", "1K", 320, 200)
    other = RenderSpec("job_1", 0, 0, "a dog", "nano_banana_2", "1K", 320, 200)
    assert render_png(spec, (320, 200)) == render_png(spec, (320, 200)) != render_png(other, (320, 200))


async def test_big_renders_run_at_most_render_concurrency_at_once(
    make_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six downloads of big outputs at once: two render, the others wait (a third would be seen)."""
    running, seen, lock, crowd = [0], [0], threading.Lock(), threading.Condition()

    def render(spec: RenderSpec, size: tuple[int, int]) -> bytes:
        with lock:
            running[0] += 1
            seen[0] = max(seen[0], running[0])
        with crowd:
            crowd.notify_all()
            crowd.wait_for(lambda: running[0] > 2, timeout=0.3)
        with lock:
            running[0] -= 1
        return b"png"

    monkeypatch.setattr(storage, "render_png", render)
    env = await make_env(render_concurrency=2, latency=1)
    links = []
    for i in range(6):
        links.append((await completed(env, {"prompt": f"big {i}", "size": "2K"}))["output"]["full_size"])
    async with anyio.create_task_group() as group:
        for link in links:
            group.start_soon(env.client.get, link)
    assert seen[0] == 2


def test_remembered_output_links_are_the_signed_ones() -> None:
    """Output links are kept once signed (hot path): each is the link a backend that never signed it
    before makes, also after the oldest were forgotten (4096 are kept)."""
    # a key space of their own: on the Redis store the module's live server shares the default prefix,
    # and its feed re-joining on their resets could hand the second backend another id stream
    settings = Settings(seed=7, store_prefix=f"{Settings().store_prefix}remembered-links:")
    kept, fresh = Backend(settings, fresh=True), Backend(dataclasses.replace(settings), fresh=True)
    jobs = [f"job_{n:05d}" for n in range(4200)]
    first = [kept.output_link(job, 1, 2, "thumb") for job in jobs]
    again = [kept.output_link(job, 1, 2, "thumb") for job in reversed(jobs)]
    assert first == again[::-1] == [fresh.output_link(job, 1, 2, "thumb") for job in jobs]
    assert len(set(first)) == len(jobs) and first[0].startswith("/storage/files/outputs/job_00000/1-2-thumb-")
