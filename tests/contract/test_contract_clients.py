"""The client suite passes every reference client and catches every deliberately broken one.

For each broken client the test names the documented behaviour it breaks and the check that must
report it; the suite itself knows nothing of these clients.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from contract_tests.calls import bounded
from contract_tests.clients import SCENARIOS, run_scenario
from contract_tests.clients.broken import BROKEN, DocsSSE
from contract_tests.clients.exec_adapter import exec_factory
from contract_tests.clients.reference import REFERENCE_FACTORIES
from mock_server.pytest_plugin import resolve_factory
from mock_server.settings import Settings
from mock_server.testing import LiveServer

CAUGHT_BY = {
    "StatusPoller": ("text_to_image", "waited_on_results_not_status"),
    "Ignores429": ("rate_limited_429", "surfaced_status"),
    "BestOfN": ("text_to_image", "requests_valid"),
    "HouseIdentity": ("two_identities", "requests_valid"),
    "KnownFieldsOnly": ("ratio_output", "sent_as_asked"),
    "NeverDeletes": ("continue_conversation", "waited_for_final_results"),
    "DocsSSE": ("text_to_image", "waited_for_final_results"),
    "SkipsSignature": ("webhook_signature", "webhook_signature_verified"),
}


MAY_NOT_APPLY = {"sse_tracking"}
"""Scenarios a valid client may be outside of (its wait polls results instead of streaming)."""
BRIDGE = f"exec:{shlex.quote(sys.executable)} -m contract_tests.clients.jsonlines"


def all_findings(factory: object, server: LiveServer, workdir: Path) -> dict[str, list[str]]:
    """Scenario -> the checks that reported something (scenarios that do not apply are left out)."""
    out = {}
    for name in SCENARIOS:
        found = run_scenario(name, factory, server, workdir)  # type: ignore[arg-type]  # any callable: the kit checks it
        if found is not None:
            out[name] = [f.check for f in found]
    return out


@pytest.mark.parametrize("name", list(REFERENCE_FACTORIES))
def test_each_reference_client_passes_every_scenario(name: str, live_mock: LiveServer, tmp_path: Path) -> None:
    report = all_findings(resolve_factory(REFERENCE_FACTORIES[name]), live_mock, tmp_path)
    assert set(SCENARIOS) - set(report) <= MAY_NOT_APPLY, "every reference client implements verify_webhook"
    assert {scenario: checks for scenario, checks in report.items() if checks} == {}


def test_the_sse_scenario_applies_to_a_streaming_client_only(live_mock: LiveServer, tmp_path: Path) -> None:
    streaming = resolve_factory(REFERENCE_FACTORIES["httpx-sync"])
    polling = resolve_factory(REFERENCE_FACTORIES["docs-requests"])
    assert run_scenario("sse_tracking", streaming, live_mock, tmp_path) == []
    assert run_scenario("sse_tracking", polling, live_mock, tmp_path) is None


def test_every_broken_client_is_listed() -> None:
    assert set(CAUGHT_BY) == set(BROKEN)


@pytest.mark.parametrize("name", list(CAUGHT_BY))
def test_each_broken_client_is_caught(name: str, live_mock: LiveServer, tmp_path: Path) -> None:
    scenario, check = CAUGHT_BY[name]
    found = run_scenario(scenario, BROKEN[name], live_mock, tmp_path)
    assert found is not None
    assert check in [f.check for f in found], "\n".join(map(str, found))


@pytest.mark.parametrize("name", list(CAUGHT_BY))
def test_each_broken_client_is_caught_through_json_lines_too(name: str, live_mock: LiveServer, tmp_path: Path) -> None:
    """The same client served over the exec protocol gets the same verdict as the Python adapter."""
    scenario, check = CAUGHT_BY[name]
    found = run_scenario(scenario, exec_factory(f"{BRIDGE} contract_tests.clients.broken:{name}"), live_mock, tmp_path)
    assert found is not None
    assert check in [f.check for f in found], "\n".join(map(str, found))


def test_a_client_dropping_fields_gets_other_dimensions(live_mock: LiveServer, tmp_path: Path) -> None:
    found = run_scenario("custom_dimensions", BROKEN["KnownFieldsOnly"], live_mock, tmp_path) or []
    assert {f.check for f in found} == {"sent_as_asked", "dimensions_delivered"}
    assert any(f.observed == "1024x1024" and f.expected == "1200x800" for f in found), "\n".join(map(str, found))


def test_replayed_events_are_also_reported_as_not_consumed(live_mock: LiveServer, tmp_path: Path) -> None:
    found = run_scenario("text_to_image", BROKEN["NeverDeletes"], live_mock, tmp_path) or []
    assert {f.check for f in found} == {"notifications_consumed"}


def test_the_docs_sse_snippet_crashes_on_backfill_complete() -> None:
    """With nothing finished yet, the first frame it reads is ``backfill_complete``'s ``data: {}``."""
    with LiveServer(Settings(clock="manual", latency=1.0)) as server:
        client = DocsSSE(server.url, "docs-sse")
        job_id = client.generate({"prompt": "a red bicycle", "size": "1K"})
        call = bounded("wait", client.wait, job_id, 5, timeout=10)
        client.close()
    assert isinstance(call.error, KeyError) and call.error.args == ("name",)
    assert "in wait" in call.outcome()
