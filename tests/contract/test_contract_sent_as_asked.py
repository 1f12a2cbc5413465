"""``sent_as_asked``, ``dimensions_delivered`` and ``failures_surfaced`` on real journals and results."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from contract_tests import Call, dimensions_delivered, failures_surfaced, sent_as_asked
from mock_server import Settings
from mock_server.testing import MockControl, mock_piktid

BASE = "https://v2.api.piktid.com"
TOKEN = "as-asked"
RATIO = {"prompt": "a red bicycle", "size": "1K", "output_mode": "ratio", "aspect_ratio": "16:9"}


@pytest.fixture
def mock() -> Iterator[tuple[MockControl, httpx.Client]]:
    with (
        mock_piktid(clock="manual", latency=1.0) as control,
        httpx.Client(base_url=BASE, headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):
        yield control, client


def sent(mock: tuple[MockControl, httpx.Client], *bodies: dict[str, Any]) -> list[dict[str, Any]]:
    """The journal after ``bodies`` went to ``POST /edit-chat``."""
    control, client = mock
    for body in bodies:
        client.post("/edit-chat", json=body)
    return control.journal(user=TOKEN)


def observed(found: list[Any]) -> list[str]:
    return [f.observed for f in found]


def test_a_request_sent_as_given_passes(mock: tuple[MockControl, httpx.Client]) -> None:
    assert sent_as_asked.find([RATIO], sent(mock, RATIO)) == []


def test_documented_defaults_may_be_added(mock: tuple[MockControl, httpx.Client]) -> None:
    with_defaults = {**RATIO, "model": "auto", "num_variations": 1, "conversation_id": None, "image_ids": None}
    assert sent_as_asked.find([RATIO], sent(mock, with_defaults)) == []


def test_a_dropped_field_is_reported_with_its_provenance(mock: tuple[MockControl, httpx.Client]) -> None:
    dropped = {k: v for k, v in RATIO.items() if k != "output_mode"}
    found = sent_as_asked.find([RATIO], sent(mock, dropped))
    assert [f.check for f in found] == ["sent_as_asked"]
    assert found[0].observed.startswith("dropped 'output_mode' (asked \"ratio\") in POST /edit-chat")
    assert found[0].documented.startswith("documented:")


def test_a_changed_or_added_field_is_reported(mock: tuple[MockControl, httpx.Client]) -> None:
    changed = {**RATIO, "aspect_ratio": "16/9", "size": "1K", "num_variations": 2}
    assert observed(sent_as_asked.find([RATIO], sent(mock, changed)))[0].startswith(
        "changed 'aspect_ratio': asked \"16:9\", sent \"16/9\"; added 'num_variations': 2 (documented default: 1)"
    )


def test_true_is_not_one(mock: tuple[MockControl, httpx.Client]) -> None:
    asked = {"prompt": "a red bicycle", "size": "1K", "num_variations": 1}
    assert observed(sent_as_asked.find([asked], sent(mock, {**asked, "num_variations": True})))


def test_a_request_that_never_arrived_is_reported(mock: tuple[MockControl, httpx.Client]) -> None:
    assert observed(sent_as_asked.find([RATIO], sent(mock))) == ["no POST /edit-chat body arrived"]


def test_retries_and_order_are_matched(mock: tuple[MockControl, httpx.Client]) -> None:
    second = {"prompt": "a blue bicycle", "size": "1K"}
    assert sent_as_asked.find([RATIO, second], sent(mock, RATIO, RATIO, second)) == []
    assert observed(sent_as_asked.find([second, RATIO], sent(mock))) != []


def test_dimensions_delivered_compares_each_result_with_the_request(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    job = client.post("/edit-chat", json=RATIO).json()["job_id"]
    control.advance(5)
    results = client.get(f"/jobs/{job}/results").json()["results"]
    assert (results[0]["width"], results[0]["height"]) == (1024, 576)
    assert dimensions_delivered.find(results, RATIO) == []
    found = dimensions_delivered.find(results, {**RATIO, "aspect_ratio": "1:1"})
    assert [(f.expected, f.observed) for f in found] == [("1024x1024", "1024x576")]


def test_failures_surfaced_needs_the_status_and_the_error_message(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    control.fail_next(kind="refusal", token=TOKEN)
    job = client.post("/edit-chat", json={**RATIO, "model": "gpt_image"}).json()["job_id"]
    control.advance(5)
    results = client.get(f"/jobs/{job}/results").json()["results"]
    assert results[0]["status"] == "failed" and "gpt_image engine refused" in results[0]["error_message"]
    assert failures_surfaced.find(Call("wait", value=results), results) == []
    silent = [{**r, "error_message": None} for r in results]
    assert observed(failures_surfaced.find(Call("wait", value=silent), results)) == ["failed, error_message null"]
    hung = Call("wait", timed_out=True, seconds=10)
    assert observed(failures_surfaced.find(hung, results)) == ["did not return within 10.0 s"]


def test_a_body_the_journal_cut_is_named_not_taken_for_a_missing_one() -> None:
    with (
        mock_piktid(settings=Settings(clock="manual", journal_body_bytes=64)) as control,
        httpx.Client(base_url=BASE, headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):
        asked = {"prompt": "a red bicycle " * 10, "size": "1K"}
        client.post("/edit-chat", json=asked)
        found = sent_as_asked.find([asked], control.journal(user=TOKEN))
    assert observed(found) == [
        "no whole POST /edit-chat body: 1 were cut by the mock's --journal-body-bytes and not compared"
    ]
