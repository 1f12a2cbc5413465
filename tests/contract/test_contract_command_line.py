"""``pytest --pyargs contract_tests.clients --piktid-client=...`` as a user runs it, from another directory."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from hypothesis import settings

from contract_tests.clients import SCENARIOS
from contract_tests.clients.reference import NODE_ADAPTER
from contract_tests.profiles import register_profiles
from mock_server.testing import need_tool

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 120


def run_kit(workdir: Path, client: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """The kit's client suite in a fresh interpreter, in ``workdir`` (a user's project)."""
    plugin = (
        []
        if any(e.name == "piktid_mock" for e in entry_points(group="pytest11"))
        else ["-p", "mock_server.pytest_plugin"]
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            *plugin,
            "-q",
            "--pyargs",
            "contract_tests.clients",
            f"--piktid-client={client}",
            *extra,
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


def test_a_broken_client_fails_with_readable_findings(tmp_path: Path) -> None:
    result = run_kit(tmp_path, "contract_tests.clients.broken:BestOfN")
    assert result.returncode == 1, result.stdout[-2000:]
    assert "[requests_valid]" in result.stdout
    assert "num_variations_out_of_range (error)" in result.stdout
    assert 'spec:     documented: "How many images to generate, 1–4.' in result.stdout


def test_a_reference_client_passes(tmp_path: Path) -> None:
    result = run_kit(tmp_path, "contract_tests.clients.reference.httpx_sync:factory")
    assert result.returncode == 0, result.stdout[-2000:]
    assert f"{len(SCENARIOS)} passed" in result.stdout


def test_an_exec_client_dropping_a_field_fails_with_readable_findings(tmp_path: Path) -> None:
    bridge = f"{shlex.quote(sys.executable)} -m contract_tests.clients.jsonlines"
    result = run_kit(tmp_path, f"exec:{bridge} contract_tests.clients.broken:KnownFieldsOnly", "-k", "ratio_output")
    assert result.returncode == 1, result.stdout[-2000:]
    assert "[sent_as_asked]" in result.stdout and "dropped 'output_mode' (asked \"ratio\")" in result.stdout


def test_an_exec_client_at_a_relative_path_runs_from_the_current_directory(tmp_path: Path) -> None:
    node = need_tool("node")
    shutil.copy(NODE_ADAPTER, tmp_path / "piktid_adapter.mjs")
    result = run_kit(tmp_path, f"exec:{node} ./piktid_adapter.mjs", "-k", "text_to_image or webhook_signature")
    assert result.returncode == 0, result.stdout[-2000:]
    assert "2 passed" in result.stdout


def test_thorough_profile_reaches_1000_examples_and_200_steps() -> None:
    register_profiles()
    thorough = settings.get_profile("thorough")
    assert thorough.max_examples >= 1000 and thorough.stateful_step_count >= 200
    assert thorough.deadline is None


def test_registering_again_keeps_the_existing_profiles() -> None:
    before = settings.get_profile("fast")
    register_profiles()
    assert settings.get_profile("fast") is before
