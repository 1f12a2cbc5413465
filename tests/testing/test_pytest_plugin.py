"""The pytest plugin from a separate project: its fixtures, marker and option, loaded by entry point."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytest_plugins = ["pytester"]

LEAN = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:asyncio")
"""Heavy unrelated plugins stay out of the subprocesses; ours still comes from its entry point."""

USER_TESTS = """
import httpx
import pytest
import requests

API = "https://v2.api.piktid.com"
AUTH = {"Authorization": "Bearer user"}


def test_in_process_jobs_complete_at_once(piktid_mock):
    job = httpx.post(API + "/edit-chat", headers=AUTH, json={"prompt": "a cat"}).json()["job_id"]
    results = httpx.get(API + f"/jobs/{job}/results", headers=AUTH).json()["results"]
    assert [r["status"] for r in results] == ["completed"]


def test_in_process_state_is_fresh(piktid_mock):
    assert piktid_mock.journal() == []


@pytest.mark.piktid_mock(clock="manual", latency=5)
def test_the_marker_configures_the_mock(piktid_mock):
    job = httpx.post(API + "/edit-chat", headers=AUTH, json={"prompt": "a cat"}).json()["job_id"]
    assert httpx.get(API + f"/jobs/{job}/results", headers=AUTH).json()["results"][0]["status"] == "processing"
    piktid_mock.advance(5)
    assert httpx.get(API + f"/jobs/{job}/results", headers=AUTH).json()["results"][0]["status"] == "completed"


@pytest.mark.parametrize("round", [1, 2])
def test_the_live_server_is_shared_and_reset(piktid_server, round):
    assert piktid_server.control.journal() == []
    piktid_server.control.set_clock("manual")
    r = requests.post(piktid_server.url + "/edit-chat", headers=AUTH, json={"prompt": "a cat"})
    assert r.status_code == 202
    pytest.shared = getattr(pytest, "shared", set()) | {piktid_server.url}
    assert len(pytest.shared) == 1


def test_the_live_server_clock_is_real_again(piktid_server):
    assert piktid_server.control.backend.clock_mode() == "real"


def test_no_client_factory_without_the_option(piktid_client_factory):
    assert piktid_client_factory is None
"""

FACTORY_TESTS = """
def make_client(base_url, token):
    return (base_url, token)


def test_the_factory_is_resolved(piktid_client_factory):
    assert piktid_client_factory("http://x", "t") == ("http://x", "t")
"""


def test_the_fixtures_work_in_a_separate_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess(*LEAN)
    result.assert_outcomes(passed=7)


def test_the_client_option_names_a_factory(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_factory=FACTORY_TESTS)
    pytester.syspathinsert()
    ok = pytester.runpytest_subprocess(*LEAN, "--piktid-client=test_factory:make_client")
    ok.assert_outcomes(passed=1)
    bad = pytester.runpytest_subprocess(*LEAN, "--piktid-client=test_factory:missing")
    assert bad.ret != 0
    bad.stdout.fnmatch_lines(["*--piktid-client: cannot load 'test_factory:missing'*"])


EXEC_TESTS = """
def test_an_exec_spec_gives_a_program_driving_factory(piktid_client_factory):
    client = piktid_client_factory("http://127.0.0.1:9", "t")
    try:
        assert type(client).__name__ == "ExecClient"
        assert client.call("generate", {"request": {}}) == {"echo": "generate"}
    finally:
        client.close()
"""
ECHO_ADAPTER = """
import json, sys
for line in sys.stdin:
    request = json.loads(line)
    print(json.dumps({"id": request["id"], "result": {"echo": request["method"]}}), flush=True)
"""


def test_the_client_option_takes_an_exec_program(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_exec=EXEC_TESTS)
    pytester.makefile(".py", echo_adapter=ECHO_ADAPTER)
    ok = pytester.runpytest_subprocess(*LEAN, f"--piktid-client=exec:{sys.executable} echo_adapter.py")
    ok.assert_outcomes(passed=1)
    bad = pytester.runpytest_subprocess(*LEAN, "--piktid-client=exec:")
    assert bad.ret != 0
    bad.stdout.fnmatch_lines(["*--piktid-client: 'exec:' names no command*"])


def test_the_plugin_module_imports_only_pytest() -> None:
    code = textwrap.dedent("""
        import sys
        import pytest
        before = set(sys.modules)
        import mock_server.pytest_plugin
        print(sorted(set(sys.modules) - before))
    """)
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == str(["mock_server", "mock_server.pytest_plugin"])


IMPORT_PROBE = """
def test_probe({fixture}):
    pass
"""
CONFTEST_PROBE = """
import sys

import pytest


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    print("harness imported after collection:", "mock_server.testing" in sys.modules)
"""


@pytest.mark.parametrize(("fixture", "imported"), [("piktid_mock", True), ("tmp_path", False)])
def test_the_harness_is_imported_after_collection_only_when_a_test_uses_piktid_mock(
    pytester: pytest.Pytester, fixture: str, imported: bool
) -> None:
    pytester.makepyfile(test_probe=IMPORT_PROBE.format(fixture=fixture))
    pytester.makeconftest(CONFTEST_PROBE)
    result = pytester.runpytest_subprocess(*LEAN, "-s")
    result.stdout.fnmatch_lines([f"harness imported after collection: {imported}"])
    result.assert_outcomes(passed=1)
