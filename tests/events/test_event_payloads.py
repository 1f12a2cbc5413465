"""What the events say: one ``image_result`` per variation (Playground page fields), ``batch_edit`` on change."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from events_support import LATENCY, TOKEN, api, start_job

from mock_server.testing import LiveServer

PAGE_FIELDS = {"id_task", "image_index", "group_index", "status", "output_link", "output_thumbnail_link"}


def notifications_of(server: LiveServer, job: str, name: str) -> list[dict[str, Any]]:
    response = api(server, "POST", "/notifications", TOKEN, json={"id_task": job, "name_list": name})
    return [n["data"] for n in response.json()]


def results_of(server: LiveServer, job: str) -> dict[tuple[int, int], dict[str, Any]]:
    results = api(server, "GET", f"/jobs/{job}/results", TOKEN).json()["results"]
    return {(r["image_index"], r["group_index"]): r for r in results}


def test_a_completed_variation_carries_its_output_links(server: LiveServer) -> None:
    job = start_job(server, TOKEN, variations=3)
    server.control.advance(3 * LATENCY)
    events, results = notifications_of(server, job, "image_result"), results_of(server, job)
    assert sorted(e["group_index"] for e in events) == [0, 1, 2]
    for event in events:
        result = results[(event["image_index"], event["group_index"])]
        assert set(event) >= PAGE_FIELDS and "error_message" not in event
        assert event["status"] == "completed" and event["id_task"] == job
        assert (event["output_link"], event["output_thumbnail_link"]) == (
            result["output"]["full_size"],
            result["output"]["thumbnail"],
        )
    thumbnail = httpx.get(events[0]["output_thumbnail_link"], trust_env=False, timeout=10)
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/png"


@pytest.mark.parametrize("scenario", ["failed", "refused"])
def test_a_failed_variation_carries_its_error_message(server: LiveServer, scenario: str) -> None:
    job = start_job(server, TOKEN, variations=2, scenario=scenario, model="seedream")
    server.control.advance(2 * LATENCY)
    events, results = notifications_of(server, job, "image_result"), results_of(server, job)
    assert len(events) == 2
    for event in events:
        message = results[(event["image_index"], event["group_index"])]["error_message"]
        assert PAGE_FIELDS | {"error_message"} <= set(event)
        assert event["status"] == "failed" and message and event["error_message"] == message
        assert event["output_link"] is None and event["output_thumbnail_link"] is None


@pytest.mark.parametrize(("scenario", "final"), [(None, "completed"), ("failed", "failed")])
def test_batch_edit_marks_each_status_change_of_a_generation(
    server: LiveServer, scenario: str | None, final: str
) -> None:
    job = start_job(server, TOKEN, variations=2, scenario=scenario)
    assert [e["status"] for e in notifications_of(server, job, "batch_edit")] == ["processing"]
    server.control.advance(LATENCY)
    assert [e["status"] for e in notifications_of(server, job, "batch_edit")] == ["processing"]
    server.control.advance(LATENCY)
    changes = notifications_of(server, job, "batch_edit")
    assert [e["status"] for e in changes] == ["processing", final]
    assert changes[-1]["id_task"] == job and changes[-1]["image_index"] == 0
