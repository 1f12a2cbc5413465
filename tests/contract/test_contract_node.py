"""The Node reference adapter passes every scenario; broken variants of it are caught like Python clients.

Each variant is the shipped adapter with one plausible mistake edited in, so the exec path is shown
to catch what the Python path catches. Needs ``node`` (skipped locally without it, fails under CI).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from contract_tests.clients import SCENARIOS, run_scenario
from contract_tests.clients.exec_adapter import exec_factory
from contract_tests.clients.reference import NODE_ADAPTER
from mock_server.testing import LiveServer, need_tool

GENERATE = "  const body = { ...request };\n"
VARIANTS = {
    "crashes": (GENERATE, GENERATE + '  process.stderr.write("adapter bug: body is frozen\\n");\n  process.exit(7);\n'),
    "prints garbage": (GENERATE, GENERATE + '  process.stdout.write("sending request...\\n");\n'),
    "never answers": (GENERATE, GENERATE + "  await new Promise(() => {});\n"),
    "drops output_mode": (GENERATE, GENERATE + "  delete body.output_mode;\n"),
    "polls /status": (
        "async function wait({ job_id: jobId, timeout = 60 }) {\n",
        "async function wait({ job_id: jobId }) {\n"
        '  await api("GET", `/jobs/${jobId}/status`);\n'
        '  return latestGeneration(await api("GET", `/jobs/${jobId}/results`));\n'
        "}\nasync function unused({ job_id: jobId, timeout = 60 }) {\n",
    ),
}
"""Name -> (text of the shipped adapter, what replaces it)."""


def node_spec(path: Path = NODE_ADAPTER) -> str:
    return f"exec:{shlex.quote(need_tool('node'))} {shlex.quote(str(path))}"


def variant(tmp_path: Path, name: str) -> str:
    """An ``exec:`` spec running the shipped adapter with the mistake ``name`` edited in."""
    old, new = VARIANTS[name]
    source = NODE_ADAPTER.read_text()
    assert source.count(old) == 1, f"the adapter changed: {old!r} no longer marks the place to break"
    path = tmp_path / "broken_adapter.mjs"
    path.write_text(source.replace(old, new))
    return node_spec(path)


def test_the_node_reference_passes_every_scenario(live_mock: LiveServer, tmp_path: Path) -> None:
    factory = exec_factory(node_spec())
    report = {name: run_scenario(name, factory, live_mock, tmp_path) for name in SCENARIOS}
    assert {name: [str(f) for f in found or []] for name, found in report.items() if found} == {}
    assert None not in report.values(), "the reference implements verify_webhook"


@pytest.mark.parametrize(
    ("name", "scenario", "check"),
    [
        ("drops output_mode", "ratio_output", "sent_as_asked"),
        ("drops output_mode", "ratio_output", "dimensions_delivered"),
        ("polls /status", "text_to_image", "waited_on_results_not_status"),
        ("polls /status", "text_to_image", "waited_for_final_results"),
    ],
)
def test_a_node_adapter_with_a_mistake_is_caught_like_a_python_one(
    name: str, scenario: str, check: str, live_mock: LiveServer, tmp_path: Path
) -> None:
    found = run_scenario(scenario, exec_factory(variant(tmp_path, name)), live_mock, tmp_path) or []
    assert check in [f.check for f in found], "\n".join(map(str, found))


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("crashes", ["(exit code 7)", "adapter bug: body is frozen"]),
        ("prints garbage", ["printed non-JSON on stdout while answering generate: 'sending request...'"]),
        ("never answers", ["did not answer generate within 2 s"]),
    ],
)
def test_a_broken_node_adapter_is_a_finding(name: str, words: list[str], live_mock: LiveServer, tmp_path: Path) -> None:
    found = run_scenario("text_to_image", exec_factory(variant(tmp_path, name), call_timeout=2.0), live_mock, tmp_path)
    assert found, f"the {name} variant passed"
    text = "\n".join(map(str, found))
    assert all(w in text for w in words), text
