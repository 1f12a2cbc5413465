"""``piktid-mock serve``: the event flags reach the app's ``Settings`` (uvicorn itself is not started)."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from mock_server.cli import main
from mock_server.settings import Settings


def served_settings(monkeypatch: pytest.MonkeyPatch, *args: str) -> Settings:
    """Run ``serve`` with ``args``, catching the app it would hand to uvicorn."""
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    result = CliRunner().invoke(main, ["serve", "--token", "tok-cli", *args])
    assert result.exit_code == 0, result.output
    return served["app"].state.backend.settings


def test_event_flags_reach_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = served_settings(
        monkeypatch,
        "--keepalive",
        "2.5",
        "--webhook-backoff",
        "0.25",
        "--webhook-attempts",
        "7",
        "--webhook-timeout",
        "1.5",
    )
    assert (settings.keepalive, settings.webhook_backoff, settings.webhook_attempts, settings.webhook_timeout) == (
        2.5,
        0.25,
        7,
        1.5,
    )


def test_event_flag_defaults_are_the_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    settings, defaults = served_settings(monkeypatch), Settings()
    for name in ("keepalive", "webhook_backoff", "webhook_attempts", "webhook_timeout", "backfill_horizon"):
        assert getattr(settings, name) == getattr(defaults, name), name


@pytest.mark.parametrize(
    "args",
    [
        ["--webhook-attempts", "two"],
        ["--webhook-attempts", "0"],
        ["--keepalive", "soon"],
        ["--keepalive", "-1"],
        ["--webhook-backoff", "-1"],
        ["--webhook-timeout", "0"],
    ],
)
def test_bad_event_flags_are_usage_errors(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 2 and args[0] in result.output
