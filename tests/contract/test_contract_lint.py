"""``piktid-mock lint``: recorded runs of real clients are judged from the mock's journal alone.

A status-polling client's run is flagged and a clean client's passes, from a saved journal file and
from a live mock; each general check is shown to fire on traffic that breaks it (manual clock, so
"waited after a 429" is measured on the mock's time, not on sleeps).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from contract_tests.clients import run_scenario
from contract_tests.clients.broken import BROKEN
from contract_tests.lint import lint, load_journal
from mock_server import cli
from mock_server.pytest_plugin import resolve_factory
from mock_server.testing import LiveServer, MockControl, mock_piktid

CLEAN = "contract_tests.clients.reference.httpx_sync:factory"
BASE = "https://v2.api.piktid.com"
TOKEN = "lint-unit"
REQUEST = {"prompt": "a red bicycle", "size": "1K"}


def run_lint(*args: str) -> Result:
    return CliRunner().invoke(cli.main, ["lint", *args])


def record(server: LiveServer, factory: object, workdir: Path, *scenarios: str) -> tuple[str, Path]:
    """Run ``scenarios`` with one user; its token and its journal saved as ``GET /_mock/journal`` returns it."""
    token = f"lint-{uuid.uuid4().hex[:8]}"
    for name in scenarios:
        run_scenario(name, factory, server, workdir, token=token)  # type: ignore[arg-type]  # any callable
    path = workdir / f"{token}.json"
    path.write_text(json.dumps(httpx.get(f"{server.url}/_mock/journal", params={"user": token}).json()))
    return token, path


def test_a_recorded_status_polling_run_is_flagged(live_mock: LiveServer, tmp_path: Path) -> None:
    _, path = record(live_mock, BROKEN["StatusPoller"], tmp_path, "text_to_image", "edit_uploaded_image")
    result = run_lint("--journal", str(path))
    assert result.exit_code == 1, result.output
    assert "[waited_on_results_not_status]" in result.output
    assert "GET /jobs/{job_id}/status always reports completed" in result.output


def test_a_recorded_clean_run_passes(live_mock: LiveServer, tmp_path: Path) -> None:
    token, path = record(live_mock, resolve_factory(CLEAN), tmp_path, "text_to_image", "continue_conversation")
    result = run_lint("--journal", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("piktid-mock lint: ") and result.output.strip().endswith("no findings")
    live = run_lint("--url", live_mock.url, "--user", token)
    assert live.exit_code == 0, live.output


def test_a_live_mock_names_each_notification_left_behind(live_mock: LiveServer, tmp_path: Path) -> None:
    token, path = record(live_mock, BROKEN["NeverDeletes"], tmp_path, "text_to_image")
    live = run_lint("--url", live_mock.url, "--user", token)
    assert live.exit_code == 1 and live.output.count("[notifications_deleted]") == 4, live.output
    saved = run_lint("--journal", str(path))
    assert saved.exit_code == 1 and "listened to notifications and deleted none" in saved.output


@pytest.fixture
def mock() -> Iterator[tuple[MockControl, httpx.Client]]:
    with (
        mock_piktid(clock="manual", latency=1.0) as control,
        httpx.Client(base_url=BASE, headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):
        yield control, client


def checks_in(control: MockControl) -> list[str]:
    return [f.check for f in lint(control.journal(), control.notifications())]


def test_a_429_retried_at_once_is_flagged_and_one_retried_later_is_not(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    control.fail_next(429, token=TOKEN)
    assert client.post("/edit-chat", json=REQUEST).status_code == 429
    control.advance(0.2)
    assert client.post("/edit-chat", json=REQUEST).status_code == 202
    assert checks_in(control) == ["waited_after_429"]
    control.reset()
    control.fail_next(429, token=TOKEN)
    client.post("/edit-chat", json=REQUEST)
    control.advance(1.0)
    client.post("/edit-chat", json=REQUEST)
    assert checks_in(control) == []


def test_an_identical_rejected_request_sent_again_is_flagged(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    bad = {"prompt": "a red bicycle", "size": "1K", "num_variations": 5}
    assert [client.post("/edit-chat", json=bad).status_code for _ in range(2)] == [400, 400]
    assert checks_in(control) == ["requests_valid", "requests_valid", "no_repeated_rejections"]
    control.reset()
    client.post("/edit-chat", json=bad)
    client.post("/edit-chat", json={**bad, "num_variations": 4})
    assert checks_in(control) == ["requests_valid"]


def test_a_5xx_is_flagged(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    control.fail_next(500, token=TOKEN)
    client.post("/edit-chat", json=REQUEST)
    assert checks_in(control) == ["no_server_errors"]


def test_user_keeps_only_that_tokens_requests(mock: tuple[MockControl, httpx.Client]) -> None:
    control, client = mock
    client.get("/jobs/job_x/status")
    assert [f.check for f in lint(control.journal(), user="someone-else")] == []
    assert [f.check for f in lint(control.journal(), user=TOKEN)] == ["waited_on_results_not_status"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), "exactly one of --url URL or --journal FILE"),
        (("--url", "http://127.0.0.1:9", "--journal", "j.json"), "exactly one of"),
        (("--journal", "j.json", "--control-token", "t"), "--control-token goes with --url"),
        (("--journal", "missing.json"), "cannot read a JSON journal"),
        (("--url", "http://127.0.0.1:9"), "cannot reach the mock's control API"),
    ],
)
def test_usage_errors_exit_2(
    args: tuple[str, ...], words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "j.json").write_text("[]")
    result = run_lint(*args)
    assert result.exit_code == 2 and words in result.output, result.output


@pytest.mark.parametrize(
    ("content", "words"),
    [("{}", "expected the JSON array"), ('[{"path": "/x"}]', "entry 0 is not a journal entry"), ("[1", "cannot read")],
)
def test_a_file_of_another_shape_is_a_usage_error(content: str, words: str, tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    path.write_text(content)
    result = run_lint("--journal", str(path))
    assert result.exit_code == 2 and words in result.output, result.output


def test_a_guarded_control_api_needs_its_token(tmp_path: Path) -> None:
    from mock_server.settings import Settings

    with LiveServer(Settings(control_token="s3cret")) as server:
        refused = run_lint("--url", server.url)
        allowed = run_lint("--url", server.url, "--control-token", "s3cret")
    assert refused.exit_code == 2 and "pass --control-token" in refused.output, refused.output
    assert allowed.exit_code == 0, allowed.output


def test_an_empty_saved_journal_is_clean(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    path.write_text("[]")
    assert load_journal(path) == []
    assert run_lint("--journal", str(path)).exit_code == 0


def test_a_masked_journal_user_matches_its_whole_token_only() -> None:
    from contract_tests.lint import same_user

    assert same_user("lint-9…", "lint-9d933f96") and same_user("lint-9d933f96", "lint-9…")
    assert not same_user("lint-9…", "other-token") and not same_user("lint-9d", "lint-9d933f96")
    assert same_user(None, None) and not same_user(None, "x")
