"""``DELETE /notifications/{id}`` and ``POST /notifications`` (the polling alternative to SSE)."""

from __future__ import annotations

from typing import Any

import pytest
from events_support import LATENCY, OTHER, TOKEN, api, start_job

from mock_server.testing import LiveServer


def listed(server: LiveServer, body: Any, token: str = TOKEN) -> list[dict[str, Any]]:
    response = api(server, "POST", "/notifications", token, json=body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def two_jobs(server: LiveServer) -> tuple[str, str]:
    jobs = start_job(server, TOKEN, variations=2), start_job(server, TOKEN)
    server.control.advance(2 * LATENCY)
    return jobs


def test_listing_is_a_bare_array_oldest_first(server: LiveServer, two_jobs: tuple[str, str]) -> None:
    everything = listed(server, {})
    assert [n["id"] for n in everything] == [n["id"] for n in server.control.notifications(TOKEN)]
    assert [n["id"] for n in everything] == sorted(n["id"] for n in everything)
    assert all(set(n) == {"id", "name", "data", "timestamp"} for n in everything)


@pytest.mark.parametrize("id_task", ["string", "list"])
def test_listing_filters_on_id_task_and_name_list(server: LiveServer, two_jobs: tuple[str, str], id_task: str) -> None:
    wanted = two_jobs[0]
    body = {"id_task": wanted if id_task == "string" else [wanted], "name_list": "image_result"}
    found = listed(server, body)
    assert sorted(n["data"]["group_index"] for n in found) == [0, 1]
    assert {(n["name"], n["data"]["id_task"]) for n in found} == {("image_result", wanted)}
    both = listed(server, {"name_list": ["image_result", "batch_edit"]})
    assert len(both) == len(listed(server, {}))


def test_listing_is_per_user(server: LiveServer, two_jobs: tuple[str, str]) -> None:
    assert listed(server, {}, OTHER) == []


@pytest.mark.parametrize("body", [{"id_task": 5}, {"name_list": [1, 2]}, {"name_list": {"a": 1}}])
def test_listing_rejects_wrong_filter_types_naming_the_field(server: LiveServer, body: dict[str, Any]) -> None:
    response = api(server, "POST", "/notifications", TOKEN, json=body)
    assert response.status_code == 400
    assert [d["field"] for d in response.json()["detail"]] == list(body)


@pytest.mark.parametrize("raw", [b"[1]", b"not json"])
def test_listing_rejects_a_body_that_is_not_an_object(server: LiveServer, raw: bytes) -> None:
    response = api(server, "POST", "/notifications", TOKEN, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "error" in response.json()


def test_delete_consumes_one_notification(server: LiveServer, two_jobs: tuple[str, str]) -> None:
    target = listed(server, {"name_list": "image_result"})[0]
    response = api(server, "DELETE", f"/notifications/{target['id']}", TOKEN)
    assert response.status_code == 200
    assert target["id"] not in [n["id"] for n in listed(server, {})]
    assert api(server, "DELETE", f"/notifications/{target['id']}", TOKEN).status_code == 404


@pytest.mark.parametrize("which", ["unknown", "not-a-number", "negative", "superscript-two", "huge"])
def test_delete_of_an_unknown_id_is_404(server: LiveServer, two_jobs: tuple[str, str], which: str) -> None:
    unknown = {
        "unknown": str(max(n["id"] for n in listed(server, {})) + 1000),
        "not-a-number": "abc",
        "negative": "-1",
        "superscript-two": "%C2%B2",
        "huge": "9" * 40,
    }[which]
    response = api(server, "DELETE", f"/notifications/{unknown}", TOKEN)
    assert response.status_code == 404
    assert "error" in response.json()


def test_delete_of_another_users_notification_is_404_and_leaves_it(
    server: LiveServer, two_jobs: tuple[str, str]
) -> None:
    target = listed(server, {})[0]
    assert api(server, "DELETE", f"/notifications/{target['id']}", OTHER).status_code == 404
    assert target in listed(server, {})
