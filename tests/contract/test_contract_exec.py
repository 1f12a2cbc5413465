"""``exec:`` adapters: any program speaking JSON lines is driven like a Python adapter, and never hangs the kit.

Adapters that misbehave at the protocol level (crash, print garbage, stay silent, answer another id,
cannot start) are small Python scripts written here, so these tests need nothing but Python.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from contract_tests.clients import run_scenario
from contract_tests.clients.exec_adapter import AdapterError, AdapterFailure, ExecClient, exec_factory
from contract_tests.clients.specs import resolve_client
from mock_server.testing import LiveServer

BRIDGE = f"exec:{shlex.quote(sys.executable)} -m contract_tests.clients.jsonlines"
PROLOGUE = """
import json, os, sys
def reply(answer):
    print(json.dumps(answer), flush=True)
"""


def script_adapter(tmp_path: Path, body: str) -> str:
    """An ``exec:`` spec running a Python script made of ``PROLOGUE`` and ``body``."""
    path = tmp_path / "adapter.py"
    path.write_text(PROLOGUE + body)
    return f"exec:{shlex.quote(sys.executable)} {shlex.quote(str(path))}"


def observed(found: list[object] | None) -> str:
    assert found is not None
    return "\n".join(map(str, found))


EVERY_METHOD = ("edit_uploaded_image", "insufficient_credits_402", "webhook_signature")
"""Scenarios that between them call upload, generate (a result and an error), wait and verify_webhook."""


def test_a_python_client_served_over_json_lines_passes(live_mock: LiveServer, tmp_path: Path) -> None:
    """Every method and both kinds of answer cross the protocol (the Node reference runs every scenario)."""
    factory = exec_factory(f"{BRIDGE} contract_tests.clients.reference.httpx_sync:factory")
    report = {name: run_scenario(name, factory, live_mock, tmp_path) for name in EVERY_METHOD}
    assert {name: [str(f) for f in found or []] for name, found in report.items() if found} == {}
    assert None not in report.values(), "verify_webhook travels over the protocol too"


def test_an_adapter_that_crashes_is_a_finding_quoting_its_stderr(live_mock: LiveServer, tmp_path: Path) -> None:
    spec = script_adapter(
        tmp_path,
        "for line in sys.stdin:\n    print('TypeError: cannot read job_id of undefined', file=sys.stderr)\n"
        "    sys.exit(3)\n",
    )
    text = observed(run_scenario("text_to_image", exec_factory(spec), live_mock, tmp_path))
    assert "[generate_returned_job_id]" in text
    assert "closed its stdout before answering generate (exit code 3)" in text
    assert "TypeError: cannot read job_id of undefined" in text


def test_an_adapter_printing_non_json_is_a_finding(live_mock: LiveServer, tmp_path: Path) -> None:
    spec = script_adapter(tmp_path, "for line in sys.stdin:\n    print('job started!', flush=True)\n")
    text = observed(run_scenario("text_to_image", exec_factory(spec), live_mock, tmp_path))
    assert "printed non-JSON on stdout while answering generate: 'job started!'" in text


def test_a_silent_adapter_is_a_finding_not_a_hang(live_mock: LiveServer, tmp_path: Path) -> None:
    spec = script_adapter(
        tmp_path, "print('listening', file=sys.stderr, flush=True)\nfor line in sys.stdin:\n    pass\n"
    )
    found = run_scenario("text_to_image", exec_factory(spec, call_timeout=1.0), live_mock, tmp_path)
    text = observed(found)
    assert "did not answer generate within 1 s" in text and "stderr: listening" in text


def test_an_answer_with_another_id_is_a_finding(tmp_path: Path) -> None:
    spec = script_adapter(tmp_path, "for line in sys.stdin:\n    reply({'id': 99, 'result': 'job_1'})\n")
    client = resolve_client(spec)("http://127.0.0.1:9", "tok")
    try:
        with pytest.raises(AdapterFailure, match=r"answered generate \(id 1\) with id 99"):
            client.generate({"prompt": "x"})
    finally:
        client.close()


def test_a_program_that_cannot_start_is_a_finding(live_mock: LiveServer, tmp_path: Path) -> None:
    found = run_scenario("text_to_image", exec_factory(f"exec:{tmp_path / 'missing-adapter'}"), live_mock, tmp_path)
    assert "cannot start" in observed(found)


def test_error_answers_carry_their_status_code_and_the_environment_names_the_mock(tmp_path: Path) -> None:
    spec = script_adapter(
        tmp_path,
        "for line in sys.stdin:\n    r = json.loads(line)\n"
        "    reply({'id': r['id'], 'error': {'status_code': 402, 'message': os.environ['PIKTID_API_URL'] + ' '"
        " + os.environ['PIKTID_TOKEN']}})\n",
    )
    client = ExecClient(shlex.split(spec.removeprefix("exec:")), "http://mock.test", "tok-402")
    try:
        with pytest.raises(AdapterError) as raised:
            client.generate({"prompt": "x"})
    finally:
        client.close()
    assert raised.value.status_code == 402 and raised.value.message == "http://mock.test tok-402"


def test_verify_webhook_not_implemented_means_not_applicable(live_mock: LiveServer, tmp_path: Path) -> None:
    spec = script_adapter(
        tmp_path,
        "for line in sys.stdin:\n    r = json.loads(line)\n"
        "    reply({'id': r['id'], 'error': {'status_code': None, 'message': 'not implemented'}})\n",
    )
    assert run_scenario("webhook_signature", exec_factory(spec), live_mock, tmp_path) is None


def test_an_adapter_ignoring_stdin_close_is_killed(tmp_path: Path) -> None:
    spec = script_adapter(tmp_path, "import time\nsys.stdin.close()\ntime.sleep(600)\n")
    client = ExecClient(shlex.split(spec.removeprefix("exec:")), "http://mock.test", "tok", stop_timeout=0.2)
    client.close()
    assert client._process is not None and client._process.returncode is not None


@pytest.mark.parametrize("spec", ["exec:", "exec:   ", "exec:node 'unbalanced"])
def test_a_malformed_exec_spec_is_a_usage_error(spec: str) -> None:
    with pytest.raises(pytest.UsageError, match="--piktid-client"):
        resolve_client(spec)
