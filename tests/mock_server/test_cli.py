"""``piktid-mock serve``: flags become Settings, the banner gives a token and a working curl line."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from mock_support import REPO, USERS_FILE
from starlette.applications import Starlette

from mock_server import Settings, cli
from mock_server.http.app import SETTINGS_VARIABLE, app_from_environment, settings_to_json
from mock_server.testing import RemoteControl, wait_until

START_TIMEOUT = 30.0


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What ``serve`` hands to uvicorn, captured instead of serving."""
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(app=app, **kwargs))
    return seen


def serve(*args: str) -> Any:
    return CliRunner().invoke(cli.main, ["serve", *args])


def test_flags_become_settings_and_the_banner_names_base_token_and_curl(served: dict[str, Any]) -> None:
    result = serve("--port", "8123", "--latency", "0.5", "--seed", "7", "--public-url", "http://mock.test/")
    assert result.exit_code == 0, result.output
    app: Starlette = served["app"]
    settings = app.state.backend.settings
    assert (settings.latency, settings.seed, settings.public_url, settings.strict) == (
        0.5,
        7,
        "http://mock.test",
        False,
    )
    assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
    token = re.search(r"token: (\S+)", result.output).group(1)
    assert f"curl -s -X POST http://mock.test/edit-chat -H 'Authorization: Bearer {token}'" in result.output


def test_cors_origins_are_repeatable_and_default_to_any(served: dict[str, Any]) -> None:
    assert serve("--cors-origin", "https://a.example", "--cors-origin", "https://b.example").exit_code == 0
    assert served["app"].state.backend.settings.cors_origins == ("https://a.example", "https://b.example")
    assert serve().exit_code == 0
    assert served["app"].state.backend.settings.cors_origins == ("*",)


def test_the_same_seed_prints_the_same_token(served: dict[str, Any]) -> None:
    tokens = [re.search(r"token: (\S+)", serve("--seed", seed).output).group(1) for seed in ("3", "3", "4")]
    assert tokens[0] == tokens[1] != tokens[2]


def test_strict_mode_prints_the_first_token_of_the_users_file(served: dict[str, Any]) -> None:
    result = serve("--strict", "--users", str(USERS_FILE))
    assert result.exit_code == 0, result.output
    assert "token: tok_free_0123456789abcdef" in result.output
    assert served["app"].state.backend.settings.strict


def test_bad_usage_is_a_clear_cli_error(served: dict[str, Any], tmp_path: Path) -> None:
    empty, broken = tmp_path / "empty.json", tmp_path / "broken.json"
    empty.write_text(json.dumps({"users": []}))
    broken.write_text("{")
    for args, words in (
        (["--strict"], "--strict needs --users"),
        (["--strict", "--users", str(empty)], "at least one"),
        (["--users", str(broken)], "cannot read users file"),
    ):
        result = serve(*args)
        assert result.exit_code == 2 and words in result.output, result.output
    assert "app" not in served


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    def listening() -> bool:
        assert process.poll() is None, "piktid-mock serve exited before it listened"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            return False
        return True

    wait_until(listening, START_TIMEOUT, what=f"piktid-mock serve to listen on {port}")


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """``python -m mock_server serve`` on a free port; its stdout goes to a file."""
    port, out = free_port(), tmp_path / "stdout.txt"
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    with out.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--latency", "0", "--seed", "1"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        wait_until_listening(port, process)
        yield port, out
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_serve_as_a_subprocess_prints_a_token_and_a_curl_line_that_work(server_process: tuple[int, Path]) -> None:
    port, out = server_process
    banner = out.read_text()
    token = re.search(r"token: (\S+)", banner).group(1)
    curl = next(line.strip() for line in banner.splitlines() if line.strip().startswith("curl "))
    assert f"http://127.0.0.1:{port}/edit-chat" in curl and f"Bearer {token}" in curl
    if shutil.which("curl"):
        accepted = json.loads(subprocess.run(curl, shell=True, capture_output=True, timeout=10, check=True).stdout)
        assert accepted["status"] == "processing"
    response = requests.post(
        f"http://127.0.0.1:{port}/edit-chat",
        headers={"Authorization": f"Bearer {token}"},
        json={"prompt": "a red bicycle", "size": "1K"},
    )
    assert response.status_code == 202
    status = requests.get(
        f"http://127.0.0.1:{port}/jobs/{response.json()['job_id']}/status", headers={"Authorization": f"Bearer {token}"}
    )
    assert status.json()["status"] == "completed"


def test_store_memory_is_the_default_and_can_be_named(served: dict[str, Any]) -> None:
    assert serve().exit_code == 0
    assert served["app"].state.backend.settings.store == "memory"
    result = serve("--store", "memory")
    assert result.exit_code == 0, result.output
    assert served["app"].state.backend.settings.store == "memory"


@pytest.mark.parametrize(("url", "says"), [("redis://", "names its host"), ("postgres://db/x", "unknown store")])
def test_an_unsupported_store_is_a_usage_error_not_a_traceback(served: dict[str, Any], url: str, says: str) -> None:
    result = serve("--store", url)
    assert result.exit_code == 2 and "app" not in served
    assert "--store" in result.output and says in result.output and "use 'memory'" in result.output
    assert "Traceback" not in result.output


def test_a_redis_store_that_cannot_be_reached_is_a_clear_error_at_start(served: dict[str, Any]) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = serve("--store", url)
    assert result.exit_code == 1 and "app" not in served and "Traceback" not in result.output
    assert url in result.output and "unreachable" in result.output and "Redis server running" in result.output


def test_several_workers_need_a_shared_store(served: dict[str, Any]) -> None:
    result = serve("--workers", "2")
    assert result.exit_code == 2 and "app" not in served and "--store redis://" in result.output


def test_workers_share_the_settings_through_the_environment(
    served: dict[str, Any], redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SETTINGS_VARIABLE, "")  # so the test's end restores the environment
    monkeypatch.setenv("PIKTID_MOCK_HEADER_TIMEOUT", "")
    result = serve("--store", redis_url, "--store-prefix", "cli-workers:", "--workers", "3", "--seed", "4")
    assert result.exit_code == 0, result.output
    assert served["app"] == "mock_server.cli:worker_app"
    assert served["factory"] is True and served["workers"] == 3
    assert served["http"] == "mock_server.server_limits:EnvironmentHeaderTimeout"
    settings = app_from_environment().state.backend.settings
    assert (settings.store, settings.store_prefix, settings.seed) == (redis_url, "cli-workers:", 4)
    assert settings.blocklist == Settings().blocklist


def test_a_worker_process_freezes_its_start_up_as_a_single_serve_does(redis_url: str) -> None:
    """``worker_app`` in a fresh interpreter (a frozen test process would never collect)."""
    env = {**os.environ, SETTINGS_VARIABLE: settings_to_json(Settings(store=redis_url, store_prefix="cli-freeze:"))}
    code = (
        "import gc; from mock_server.cli import worker_app; app = worker_app();"
        "print(gc.get_freeze_count() > 0, app.state.backend.settings.store_prefix)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=REPO)
    assert out.stdout.split() == ["True", "cli-freeze:"], out.stderr


def test_remote_control_drives_a_served_mock_in_another_process(server_process: tuple[int, Path]) -> None:
    port, _ = server_process
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": "Bearer tok-remote"}
    with RemoteControl(base) as remote:
        remote.set_clock("manual")
        remote.set_account("tok-remote", credits=5)
        job = requests.post(f"{base}/edit-chat", json={"prompt": "a kite", "size": "1K"}, headers=auth, timeout=10)
        assert job.status_code == 202 and remote.advance(1)["ran"] == 1
        results = requests.get(f"{base}/jobs/{job.json()['job_id']}/results", headers=auth, timeout=10).json()
        assert [r["status"] for r in results["results"]] == ["completed"]
        remote.fail_next(503)
        assert requests.post(f"{base}/edit-chat", json={"prompt": "x"}, headers=auth, timeout=10).status_code == 503
        assert [e["status"] for e in remote.journal(user="tok-remote")] == [202, 200, 503]
        remote.reset()
        assert remote.account("tok-remote") is None and remote.journal() == []


def test_the_memory_bounds_are_flags(served: dict[str, Any]) -> None:
    result = serve(
        "--retention",
        "60",
        "--upload-total-bytes",
        str(30 * 2**20),
        "--journal-body-bytes",
        "100",
        "--journal-max-entries",
        "5",
        "--journal-max-bytes",
        "5000",
        "--render-concurrency",
        "3",
    )
    assert result.exit_code == 0, result.output
    s = served["app"].state.backend.settings
    assert (s.retention, s.upload_total_bytes, s.journal_body_bytes) == (60, 30 * 2**20, 100)
    assert (s.journal_max_entries, s.journal_max_bytes, s.render_concurrency) == (5, 5000, 3)


def test_an_upload_cap_below_one_upload_is_a_usage_error(served: dict[str, Any]) -> None:
    result = serve("--upload-total-bytes", "1000")
    assert result.exit_code == 2 and "upload_total_bytes must be at least" in result.output, result.output
    assert "app" not in served
