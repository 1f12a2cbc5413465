"""Every read and write of mock state the dashboard makes, in one place.

Each function calls the same ``Backend`` operation the HTTP control API (``mock_server.http.control``)
calls, so retargeting the dashboard to another control service means changing this module only.
Reads return plain data (dicts, lists, frozen records), never live objects a view could mutate.
Writes raise ``ApiError`` for bad input exactly as the control API does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mock_server.backend.jobs import Generation, Job, Variation
from mock_server.backend.service import Backend

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
def requests(
    backend: Backend, *, user: str | None = None, path: str | None = None, status: int | None = None
) -> list[dict[str, Any]]:
    """Journal entries, newest first, filtered as ``GET /_mock/journal`` filters (plus ``status``)."""
    entries = backend.journal.query(user=user, path=path)
    return [e for e in reversed(entries) if status is None or e.get("status") == status][:RECENT]


def _path(link: str, base: str) -> str:
    return link[len(base) :] if base and link.startswith(base) else link


def _output(backend: Backend, job: Job, generation: Generation, variation: Variation) -> Output:
    links: tuple[str | None, str | None] = (None, None)
    if variation.status == "completed":
        links = (
            _path(backend.output_link(job, generation, variation, "thumb"), job.base_url),
            _path(backend.output_link(job, generation, variation, "full"), job.base_url),
        )
    return Output(
        variation.group_index,
        variation.status,
        variation.model_used,
        variation.price,
        variation.error_message,
        *links,
    )


def _generation(backend: Backend, job: Job, generation: Generation) -> dict[str, Any]:
    request = generation.request
    return {
        "image_index": generation.image_index,
        "status": generation.status,
        "prompt": request.prompt,
        "model": request.model,
        "size": request.size,
        "pixels": generation.size,
        "credits": sum(v.price for v in generation.variations),
        "outputs": [_output(backend, job, generation, v) for v in generation.variations],
    }


def jobs(backend: Backend) -> dict[str, list[dict[str, Any]]]:
    """Each user's jobs (conversations), newest first, with their generations and variations."""
    newest = sorted(backend.jobs.values(), key=lambda j: (j.created_at, j.job_id), reverse=True)[:RECENT]
    by_user: dict[str, list[dict[str, Any]]] = {}
    for job in newest:
        view = {"job_id": job.job_id, "created_at": job.created_at, "updated_at": job.updated_at}
        view["generations"] = [_generation(backend, job, g) for g in job.generations]
        by_user.setdefault(job.owner, []).append(view)
    return by_user


def notifications(backend: Backend) -> list[dict[str, Any]]:
    """Every user's notifications, newest first (as ``GET /_mock/notifications``)."""
    items = backend.notifications.all(None)
    return [{**n.as_json(), "user": n.owner, "deleted": n.deleted} for n in reversed(items)][:RECENT]


def newest_notification(backend: Backend) -> int:
    return backend.notifications.newest_id


def deliveries(backend: Backend) -> list[dict[str, Any]]:
    """Webhook deliveries with every attempt, newest first (as ``GET /_mock/deliveries``)."""
    return list(reversed(backend.webhooks.log(None)))[:RECENT]


def accounts(backend: Backend) -> list[dict[str, Any]]:
    """Each user's account view (as ``GET /_mock/accounts/{token}``), in creation order."""
    return [backend.account_view(user) for user in list(backend.accounts.users.values())]


def clock(backend: Backend) -> dict[str, Any]:
    return {"mode": backend.clock.mode, "now": backend.clock.now(), "pending": backend.scheduler.pending()}


def faults(backend: Backend) -> list[dict[str, Any]]:
    return [rule.as_json() for rule in backend.faults.rules]


def control_token(backend: Backend) -> str | None:
    return backend.settings.control_token


# --- writes ------------------------------------------------------------------------------------
def reset(backend: Backend, seed: int | None) -> None:
    backend.reset(seed)


def default_seed(backend: Backend) -> int | None:
    return backend.settings.seed


def set_account(backend: Backend, token: str, *, plan: str | None, credits: float | None) -> dict[str, Any]:
    return backend.account_view(backend.set_account(token, plan=plan, credits=credits))


def set_clock_mode(backend: Backend, mode: Literal["real", "manual"]) -> None:
    backend.clock.set_mode(mode)
    backend.scheduler.run_due()


def advance(backend: Backend, seconds: float) -> dict[str, Any]:
    return backend.advance(seconds)


def add_fault(backend: Backend, kind: str, **fields: Any) -> dict[str, Any]:
    return backend.faults.add(kind, **fields).as_json()


def remove_fault(backend: Backend, rule_id: int) -> bool:
    """Drop one rule by id; False when there is none (already used up or removed)."""
    rules = backend.faults.rules
    kept = [rule for rule in rules if rule.id != rule_id]
    found = len(kept) != len(rules)
    rules[:] = kept
    return found
