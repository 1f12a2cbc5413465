"""The control API (HTTP under /_mock/ and ``MockControl``): reset, journal, outcome header, token guard."""

from __future__ import annotations

import httpx
import pytest

from mock_server import Settings
from mock_server.testing import mock_piktid, sample_image

API = "https://v2.api.piktid.com"
JOB = {"prompt": "a red bicycle", "size": "1K"}
manual = pytest.mark.piktid_mock(clock="manual", latency=1)


@manual
def test_reset_empties_every_kind_of_state(piktid_mock, api):
    piktid_mock.set_account("tester", plan="free", credits=40)
    upload = api.post("/upload", json={"filename": "a.png"}).json()
    httpx.put(upload["upload_url"], headers={"Content-Type": "image/png"}, content=sample_image())
    job_id = api.post("/edit-chat", json={**JOB, "image_ids": [upload["file_id"]]}).json()["job_id"]
    api.put("/webhooks", json={"url": "http://127.0.0.1:9/closed"})
    piktid_mock.fail_next(500, path="/jobs")

    assert api.post("/_mock/reset", json={}).json()["reset"] is True

    assert piktid_mock.journal() == [] and piktid_mock.notifications() == [] and piktid_mock.deliveries() == []
    assert api.get("/_mock/faults").json() == []
    assert piktid_mock.pending() == 0
    assert piktid_mock.account("tester") is None
    assert api.get(f"/jobs/{job_id}/status").status_code == 404
    assert api.post("/edit-chat", json={**JOB, "image_ids": [upload["file_id"]]}).status_code == 404
    assert api.get("/webhooks").status_code == 404
    assert piktid_mock.account("tester")["credits"] == piktid_mock.backend.settings.open_credits


def test_reset_with_a_seed_makes_ids_reproducible(piktid_mock, api):
    def first_ids() -> tuple[str, str]:
        file_id = api.post("/upload", json={}).json()["file_id"]
        return file_id, api.post("/edit-chat", json=JOB).json()["job_id"]

    api.post("/_mock/reset", json={"seed": 5})
    seeded = first_ids()
    piktid_mock.reset(seed=5)
    assert first_ids() == seeded
    api.post("/_mock/reset", json={"seed": 6})
    assert first_ids() != seeded


def test_the_journal_lists_the_violations_of_a_rejected_request(piktid_mock, api):
    response = api.post("/edit-chat", json={"prompt": "x", "num_variations": 7, "size": "8K"})
    assert response.status_code == 400

    entry = api.get("/_mock/journal", params={"user": "tester"}).json()[-1]
    assert (entry["method"], entry["path"], entry["user"], entry["status"]) == ("POST", "/edit-chat", "te…", 400)
    errors = {v["field"] for v in entry["violations"] if v["severity"] == "error"}
    assert errors == {"num_variations", "size"}
    assert all(v["provenance"]["text"] for v in entry["violations"])
    assert entry["body"] == {"prompt": "x", "num_variations": 7, "size": "8K"}
    assert piktid_mock.journal()[-1] == {**entry, "user": "tester"}, "in-process, the journal shows the full token"


def test_the_journal_lists_the_warnings_of_an_accepted_request(piktid_mock, api):
    assert api.post("/edit-chat", json={**JOB, "colour": "red"}).status_code == 202
    entry = piktid_mock.journal(path="/edit-chat")[-1]
    assert entry["status"] == 202
    assert [(v["field"], v["code"], v["severity"]) for v in entry["violations"]] == [
        ("colour", "unknown_field", "warning")
    ]


def test_the_journal_can_be_read_incrementally_and_cleared(piktid_mock, api):
    api.post("/upload", json={})
    seen = piktid_mock.journal()[-1]["seq"]
    api.post("/upload", json={})
    assert len(api.get("/_mock/journal", params={"since": seen}).json()) == 1
    assert api.get("/_mock/journal", params={"since": "x"}).status_code == 400
    api.delete("/_mock/journal")
    assert piktid_mock.journal() == []


@manual
@pytest.mark.parametrize(
    ("headers", "model", "expected"),
    [
        ({"X-Mock-Scenario": "failed"}, "auto", ("failed", None)),
        ({"Prefer": "outcome=failed"}, "auto", ("failed", None)),
        ({"X-Mock-Scenario": "refused"}, "auto", ("completed", "seedream")),
        ({"Prefer": "respond-async; outcome=refused"}, "gpt_image", ("failed", None)),
        ({"X-Mock-Scenario": "completed"}, "gpt_image", ("completed", "gpt_image")),
    ],
)
def test_the_outcome_header_picks_the_outcome_of_that_request_only(piktid_mock, api, headers, model, expected):
    chosen = api.post("/edit-chat", json={**JOB, "model": model}, headers=headers).json()["job_id"]
    plain = api.post("/edit-chat", json={**JOB, "model": model}).json()["job_id"]
    piktid_mock.advance(1)
    result = api.get(f"/jobs/{chosen}/results").json()["results"][0]
    assert (result["status"], result["model_used"]) == expected
    assert api.get(f"/jobs/{plain}/results").json()["results"][0]["status"] == "completed"


def test_an_unknown_outcome_is_a_400_naming_the_header(piktid_mock, api):
    response = api.post("/edit-chat", json=JOB, headers={"X-Mock-Scenario": "exploded"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "x-mock-scenario"
    assert piktid_mock.backend.counts()["jobs"] == 0


def test_accounts_can_be_set_and_read_over_http(api):
    assert api.put("/_mock/accounts/poor", json={"plan": "free", "credits": 2}).json()["credits"] == 2
    response = api.post("/edit-chat", json=JOB, headers={"Authorization": "Bearer poor"})
    assert (response.status_code, response.json()["user_credits"]) == (402, 2)
    assert api.put("/_mock/accounts/poor", json={"plan": "platinum"}).json()["detail"][0]["field"] == "plan"
    assert api.get("/_mock/accounts/nobody").status_code == 404


def test_a_control_token_guards_the_control_api_but_not_the_api():
    with mock_piktid(settings=Settings(control_token="s3cret")) as control, httpx.Client(base_url=API) as client:
        assert client.post("/_mock/reset").status_code == 401
        assert client.post("/_mock/reset", headers={"X-Mock-Control-Token": "guess"}).status_code == 401
        assert client.get("/_mock/journal", headers={"X-Mock-Control-Token": "guess"}).status_code == 401
        assert client.post("/_mock/reset", headers={"X-Mock-Control-Token": "s3cret"}).status_code == 200
        assert client.post("/upload", json={}, headers={"Authorization": "Bearer u"}).status_code == 200
        assert [e["path"] for e in control.journal()] == ["/upload"]


def test_without_control_the_paths_do_not_exist():
    with mock_piktid(settings=Settings(control=False)), httpx.Client(base_url=API) as client:
        assert client.post("/_mock/reset").status_code == 404
        assert client.get("/_mock/journal").status_code == 404


def test_set_account_takes_entitlements_and_identities_as_any_iterable(piktid_mock):
    """A tuple or a set of entitlements and identity names is taken as a list is."""
    view = piktid_mock.set_account("tester", entitlements=("OUTPUT_CUSTOM_DIMENSIONS",), identities={"alice"})
    assert view["entitlements"] == ["OUTPUT_CUSTOM_DIMENSIONS"]
    assert [identity["name"] for identity in view["identities"]] == ["alice"]
