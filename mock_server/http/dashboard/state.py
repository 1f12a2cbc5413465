"""Every read and write of mock state the dashboard makes, in one place.

Each function calls the same ``ControlService`` operation the HTTP control API (``mock_server.http.control``)
calls, so retargeting the dashboard to another control service means changing this module only.
Reads return plain data (dicts, lists, frozen records), never live objects a view could mutate.
Writes raise ``ApiError`` for bad input exactly as the control API does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mock_server.backend import Backend, ControlService, RenderSpec

RECENT = 200
"""How many journal entries, jobs, notifications and deliveries a page shows (newest first)."""


@dataclass(frozen=True, slots=True)
class Output:
    """One variation as the Jobs view shows it; links are paths on this mock (never another host)."""

    group_index: int
    status: str
    model: str | None
    credits: float
    error_message: str | None
    thumbnail: str | None
    full: str | None


# --- reads -------------------------------------------------------------------------------------
def _control(backend: Backend) -> ControlService:
    return ControlService(backend)


def requests(
    backend: Backend, *, user: str | None = None, path: str | None = None, status: int | None = None
) -> list[dict[str, Any]]:
    """Journal entries, newest first, filtered as ``GET /_mock/journal`` filters (plus ``status``)."""
    entries = _control(backend).journal(user=user, path=path)
    return [e for e in reversed(entries) if status is None or e.get("status") == status][:RECENT]


OUTPUTS = "/_mock/ui/outputs/"
"""Where the page loads output images: the same pictures as the API's output links, but under the
control prefix, so the dashboard's own image loads neither enter the journal nor meet fault rules."""


def _path(link: str | None) -> str | None:
    return None if link is None else OUTPUTS + link.rsplit("/storage/files/outputs/", 1)[-1]


def _output(out: dict[str, Any]) -> Output:
    return Output(
        out["group_index"],
        out["status"],
        out["model"],
        out["credits"],
        out["error_message"],
        _path(out["thumbnail"]),
        _path(out["full"]),
    )


def jobs(backend: Backend) -> dict[str, list[dict[str, Any]]]:
    """Each user's jobs (conversations), newest first, with their generations and variations."""
    by_user: dict[str, list[dict[str, Any]]] = {}
    for job in _control(backend).jobs(RECENT):
        job.pop("base_url")
        owner = job.pop("owner")
        for generation in job["generations"]:
            generation["outputs"] = [_output(o) for o in generation["outputs"]]
        by_user.setdefault(owner, []).append(job)
    return by_user


def notifications(backend: Backend) -> list[dict[str, Any]]:
    """Every user's notifications, newest first (as ``GET /_mock/notifications``)."""
    return list(reversed(_control(backend).notifications()))[:RECENT]


def newest_notification(backend: Backend) -> int:
    return _control(backend).newest_notification_id()


def deliveries(backend: Backend) -> list[dict[str, Any]]:
    """Webhook deliveries with every attempt, newest first (as ``GET /_mock/deliveries``)."""
    return list(reversed(_control(backend).deliveries()))[:RECENT]


def accounts(backend: Backend) -> list[dict[str, Any]]:
    """Each user's account view (as ``GET /_mock/accounts/{token}``), in creation order."""
    return _control(backend).accounts()


def clock(backend: Backend) -> dict[str, Any]:
    return _control(backend).clock()


def faults(backend: Backend) -> list[dict[str, Any]]:
    return _control(backend).faults()


def output_image(backend: Backend, job_id: str, name: str) -> tuple[RenderSpec, tuple[int, int]] | None:
    """What to render for an ``OUTPUTS`` link (as the API's output download does), None when not live."""
    return backend.output(job_id, name)


def control_token(backend: Backend) -> str | None:
    return backend.settings.control_token


# --- writes ------------------------------------------------------------------------------------
def reset(backend: Backend, seed: int | None) -> None:
    _control(backend).reset(seed, exact=True)


def default_seed(backend: Backend) -> int | None:
    return backend.settings.seed


def set_account(backend: Backend, token: str, *, plan: str | None, credits: float | None) -> dict[str, Any]:
    return _control(backend).set_account(token, plan=plan, credits=credits)


def set_clock_mode(backend: Backend, mode: Literal["real", "manual"]) -> None:
    _control(backend).set_clock(mode)


def advance(backend: Backend, seconds: float) -> dict[str, Any]:
    return _control(backend).advance(seconds)


def add_fault(backend: Backend, kind: str, **fields: Any) -> dict[str, Any]:
    return _control(backend).add_fault(kind, **fields)


def remove_fault(backend: Backend, rule_id: int) -> bool:
    """Drop one rule by id; False when there is none (already used up or removed)."""
    return _control(backend).remove_fault(rule_id)
