"""The load generators: both count every request and every failure, through a real uvicorn server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks._load_generator import ensure_wrk, run_python, run_wrk
from benchmarks._servers import ServerProcess

BODY = {"prompt": "a red bicycle", "size": "1K"}


@pytest.fixture(scope="module")
def mock() -> ServerProcess:
    with ServerProcess(["mock"]) as server:
        yield server


def test_python_generator_sends_exactly_the_requests_asked(mock: ServerProcess) -> None:
    load = run_python(
        mock.url + "/edit-chat", "POST", json.dumps(BODY).encode(), "gen-user", requests=20, connections=4
    )
    assert (load.generator, load.requests, load.failures) == ("python-httpx", 20, 0)
    assert 0 < load.p50_ms <= load.p99_ms


def test_python_generator_counts_error_answers_as_failures(mock: ServerProcess) -> None:
    load = run_python(mock.url + "/edit-chat", "POST", b"{}", "gen-user", requests=8, connections=2)
    assert load.requests == 8 and load.failures == 8


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (make bench installs it as root)")
def test_wrk_script_sends_the_body_and_token(mock: ServerProcess, tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text(json.dumps(BODY))
    good = run_wrk("wrk", mock.url + "/edit-chat", "POST", body, "wrk-user", seconds=1, connections=2)
    body.write_text("{}")
    bad = run_wrk("wrk", mock.url + "/edit-chat", "POST", body, "wrk-user", seconds=1, connections=2)
    assert good.requests > 0 and good.failures == 0
    assert bad.requests > 0 and bad.failures == bad.requests


def test_ensure_wrk_without_install_only_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert ensure_wrk(install=False, say=lambda _: None) is None
