"""The Playground page's SSE snippet, verbatim, run against a live mock.

The page indexes ``notification["name"]`` on every ``data:`` line, and the service's
``backfill_complete`` frame carries ``data: {}``: the snippet as printed raises KeyError on
connect. The mock keeps the service's frame, so it fails here exactly as it would in production;
with the one-word fix (``notification.get("name")``) it prints "Image ready" or raises on failure.
"""

from __future__ import annotations

from typing import Any

import pytest
from events_support import LATENCY, TOKEN, api, run_in_thread, start_job, wait_until

from mock_server.testing import LiveServer

SNIPPET = """
import json
import requests

api_url = "https://v2.api.piktid.com"
access_token = "your_access_token"
job_id = "job_abc123..."

headers = {"Authorization": "Bearer " + access_token}

with requests.get(
    api_url + "/notifications/events",
    headers=headers,
    stream=True,
    timeout=600,
) as response:
    response.raise_for_status()

    for raw_line in response.iter_lines(decode_unicode=True):
        if not raw_line or raw_line.startswith(":"):
            continue
        if not raw_line.startswith("data: "):
            continue

        notification = json.loads(raw_line[6:])
        if notification["name"] != "image_result":
            continue

        data = notification.get("data", {})
        if data.get("id_task") != job_id:
            continue

        status = data.get("status")
        if status == "completed":
            print(f"Image ready: {data['output_link']}")
            break
        if status == "failed":
            raise RuntimeError(data.get("error_message", "Generation failed"))
"""
"""Copied from the "Tracking progress" section of the Image Playground page, unchanged."""

FIX = ('notification["name"]', 'notification.get("name")')


def configured(server: LiveServer, job_id: str, *, fixed: bool) -> str:
    """The snippet with ``api_url``, the token and ``job_id`` set (and the fix applied if ``fixed``)."""
    edits = [
        ('"https://v2.api.piktid.com"', repr(server.url)),
        ('"your_access_token"', repr(TOKEN)),
        ('"job_abc123..."', repr(job_id)),
    ] + ([FIX] if fixed else [])
    source = SNIPPET
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


def run_snippet(server: LiveServer, job_id: str, *, fixed: bool, when: str = "live") -> list[str]:
    """Run it in a thread; with ``when="live"`` the job completes only once the snippet is connected."""
    printed: list[str] = []
    snippet = run_in_thread(
        lambda: exec(
            configured(server, job_id, fixed=fixed), {"print": lambda *args: printed.append(" ".join(map(str, args)))}
        )
    )
    if when == "live":
        wait_until(lambda: server.control.open_streams() or snippet.done(), what="the snippet to connect")
    server.control.advance(LATENCY)
    snippet.result(timeout=10)
    return printed


def result_of(server: LiveServer, job_id: str) -> dict[str, Any]:
    return api(server, "GET", f"/jobs/{job_id}/results", TOKEN).json()["results"][0]


@pytest.mark.parametrize("when", ["live", "backfill"])
def test_fixed_snippet_prints_image_ready(server: LiveServer, when: str) -> None:
    job = start_job(server, TOKEN)
    if when == "backfill":
        server.control.advance(LATENCY)
    printed = run_snippet(server, job, fixed=True, when=when)
    assert printed == [f"Image ready: {result_of(server, job)['output']['full_size']}"]


def test_fixed_snippet_raises_the_error_message_of_a_failed_variation(server: LiveServer) -> None:
    job = start_job(server, TOKEN, scenario="failed")
    with pytest.raises(RuntimeError) as raised:
        run_snippet(server, job, fixed=True)
    message = result_of(server, job)["error_message"]
    assert message and str(raised.value) == message


def test_unfixed_snippet_raises_keyerror_on_backfill_complete(server: LiveServer) -> None:
    job = start_job(server, TOKEN)
    with pytest.raises(KeyError) as raised:
        run_snippet(server, job, fixed=False)
    assert raised.value.args == ("name",)
    assert api(server, "GET", f"/jobs/{job}/results", TOKEN).json()["results"][0]["status"] == "completed"


def test_unfixed_snippet_only_gets_through_when_the_result_is_already_in_the_backfill(server: LiveServer) -> None:
    """The frames come in order: an image_result backfilled before ``backfill_complete`` ends the loop first."""
    job = start_job(server, TOKEN)
    server.control.advance(LATENCY)
    assert run_snippet(server, job, fixed=False, when="backfill") == [
        f"Image ready: {result_of(server, job)['output']['full_size']}"
    ]


def test_the_snippet_leaves_no_subscription_behind(server: LiveServer) -> None:
    job = start_job(server, TOKEN)
    run_snippet(server, job, fixed=True)
    wait_until(lambda: not server.control.open_streams(), 2, what="the snippet's subscription to go")
