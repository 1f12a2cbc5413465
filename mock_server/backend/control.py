"""``ControlService``: the control operations, written once.

The HTTP control API (``/_mock/``, which first checks the JSON it was sent) and ``MockControl``
(in-process, from any thread) both call these; ``RemoteControl`` calls the HTTP API, so all three
behave alike. Each method is one ``Backend`` operation with the control API's shape of answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from mock_server.backend.service import Backend

Mode = Literal["real", "manual"]


def fault_fields(
    status: int | None,
    *,
    kind: str | None,
    path: str | None,
    method: str | None,
    token: str | None,
    times: int | None,
    probability: float,
    delay: float,
) -> dict[str, Any]:
    """A ``fail_next`` call as a fault rule: the kind defaults to ``status`` when a status is given, else
    ``fail_variation``; ``path`` does not apply to ``drop_stream`` and ``webhook_timeout``."""
    chosen = kind or ("status" if status is not None else "fail_variation")
    if chosen in ("drop_stream", "webhook_timeout"):
        path = None
    return {
        "kind": chosen,
        "method": method,
        "path": path,
        "token": token,
        "status": status,
        "delay": delay,
        "times": times,
        "probability": probability,
    }


class ControlService:
    """Reset, accounts, clock, faults, journal, notifications and deliveries of one backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def reset(self, seed: int | None = None, *, exact: bool = False) -> dict[str, Any]:
        """Empty all state; ``seed`` None means the configured seed (``exact``: None means unseeded, as
        ``{"seed": null}`` does on the HTTP API)."""
        chosen = seed if seed is not None or exact else self.backend.settings.seed
        self.backend.reset(chosen)
        return {"reset": True, "seed": chosen}

    def set_account(
        self,
        token: str,
        *,
        plan: str | None = None,
        credits: float | None = None,
        entitlements: Iterable[str] | None = None,
        identities: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        return self.backend.set_account(
            token, plan=plan, credits=credits, entitlements=entitlements, identities=identities
        )

    def account(self, token: str) -> dict[str, Any] | None:
        return self.backend.account(token)

    def advance(self, seconds: float) -> dict[str, Any]:
        return self.backend.advance(seconds)

    def set_clock(self, mode: Mode) -> dict[str, Any]:
        return self.backend.set_clock(mode)

    def clock(self) -> dict[str, Any]:
        return self.backend.clock()

    def now(self) -> float:
        return self.backend.now()

    def journal(self, *, user: str | None = None, path: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        return self.backend.journal(user=user, path=path, since=since)

    def clear_journal(self) -> None:
        self.backend.clear_journal()

    def add_fault(self, kind: str, **fields: Any) -> dict[str, Any]:
        return self.backend.add_fault(kind, **fields)

    def faults(self) -> list[dict[str, Any]]:
        return self.backend.faults()

    def remove_fault(self, rule_id: int) -> bool:
        return self.backend.remove_fault(rule_id)

    def clear_faults(self) -> None:
        self.backend.clear_faults()

    def notifications(self, user: str | None = None) -> list[dict[str, Any]]:
        return self.backend.all_notifications(user)

    def deliveries(self, user: str | None = None) -> list[dict[str, Any]]:
        return self.backend.deliveries(user)

    def accounts(self) -> list[dict[str, Any]]:
        return self.backend.accounts()

    def jobs(self, limit: int) -> list[dict[str, Any]]:
        """The newest ``limit`` jobs with every generation and variation (``Backend.jobs_overview``)."""
        return self.backend.jobs_overview(limit)

    def newest_notification_id(self) -> int:
        return self.backend.newest_notification_id()
