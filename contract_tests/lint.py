"""``piktid-mock lint``: a verdict on the traffic of *any* test suite, with no adapter and no scenario.

Run your own tests against ``piktid-mock serve``, then lint what the mock saw: its journal (the
JSON ``GET /_mock/journal`` returns), read live (``lint_url``) or from a saved file
(``load_journal``). ``lint`` applies the checks that hold for every request whatever the test
meant: valid ``/edit-chat`` requests, no ``/status`` polling as readiness, no 5xx, no identical
rejected request sent again at once, a 429 answered by waiting, processed notifications deleted.
Each check is a ``Check`` like the kit's others (call it to assert, ``.find`` for the findings).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

from contract_tests.checks import (
    DELETE_AFTER_PROCESSING,
    Json,
    check,
    no_server_errors,
    request_line,
    requests_valid,
    waited_on_results_not_status,
)
from contract_tests.findings import Finding
from piktid_spec import Provenance

MIN_BACKOFF = 1.0
"""Seconds a client should wait after a 429 before sending to that endpoint again (the first backoff step)."""
BACKOFF = Provenance(
    "inferred",
    "the v2 notes: real clients retry a 429 with exponential backoff (1, 2, 4, 8, 16 s); at once only spends "
    "the minute's budget of 15 requests again",
)
REPEATED = Provenance(
    "inferred",
    "a 4xx other than 429 says the request itself is wrong: sending it again unchanged cannot succeed",
)
LISTENED = ("/notifications/events", "/notifications")
FETCH_TIMEOUT = 10.0
REQUIRED_KEYS = ("method", "path", "status")


class LintSourceError(Exception):
    """The journal could not be read: unreachable URL, refused control token, or a file of another shape."""


def same_user(shown: object, token: object) -> bool:
    """Whether two journal/notification ``user`` fields name one user.

    The control API masks bearer tokens in the journal to a short prefix and ``…`` (never the whole
    token), while notifications and ``--user`` carry it whole, so a masked value matches any token
    it is a prefix of.
    """
    if not isinstance(shown, str) or not isinstance(token, str):
        return shown == token
    if shown == token:
        return True
    short, full = sorted((shown, token), key=len)
    return short.endswith("…") and full.startswith(short[:-1])


def _by_user(journal: Iterable[Json]) -> dict[Any, list[Json]]:
    users: dict[Any, list[Json]] = {}
    for entry in journal:
        users.setdefault(entry.get("user"), []).append(entry)
    return users


def _same_request(a: Json, b: Json) -> bool:
    fields = ("method", "path", "query", "status")
    return all(a.get(f) == b.get(f) for f in fields) and json.dumps(a.get("body"), sort_keys=True) == json.dumps(
        b.get("body"), sort_keys=True
    )


@check
def no_repeated_rejections(journal: Iterable[Json]) -> list[Finding]:
    """No client sent a request rejected with a 4xx (not 429) again, unchanged, as its very next request."""
    found = []
    for entries in _by_user(journal).values():
        for before, after in zip(entries, entries[1:], strict=False):
            if 400 <= before["status"] < 500 and before["status"] != 429 and _same_request(before, after):
                found.append(
                    Finding(
                        "no_repeated_rejections",
                        request_line(after),
                        "a rejected request fixed before it is sent again",
                        f"sent again unchanged right after its {before['status']} {before.get('code') or ''}".rstrip(),
                        str(REPEATED),
                    )
                )
    return found


@check
def waited_after_429(journal: Iterable[Json], min_backoff: float = MIN_BACKOFF) -> list[Finding]:
    """After a 429, a client's next request to that endpoint came ``min_backoff`` seconds later or more."""
    found = []
    for entries in _by_user(journal).values():
        for index, limited in enumerate(entries):
            if limited["status"] != 429:
                continue
            retry = next((e for e in entries[index + 1 :] if _endpoint(e) == _endpoint(limited)), None)
            if retry is not None and retry.get("at", 0) - limited.get("at", 0) < min_backoff:
                found.append(
                    Finding(
                        "waited_after_429",
                        request_line(retry),
                        f"sent {min_backoff:g} s or more after the 429",
                        f"sent {retry.get('at', 0) - limited.get('at', 0):.3f} s after it",
                        str(BACKOFF),
                    )
                )
    return found


def _endpoint(entry: Json) -> tuple[Any, Any]:
    return entry.get("method"), entry.get("path")


def _tracked_jobs(entries: Sequence[Json]) -> set[str] | None:
    """Jobs whose events a user listened to (``id_task`` of its streams); None when it read every job's.

    ``POST /notifications`` counts as every job's: its filter is in a body the journal does not keep.
    """
    jobs: set[str] = set()
    for e in entries:
        if e.get("path") not in LISTENED:
            continue
        query = dict(p.partition("=")[::2] for p in str(e.get("query") or "").split("&") if p)
        if e.get("method") != "GET" or "id_task" not in query:
            return None
        jobs.add(unquote(query["id_task"]))
    return jobs


@check
def notifications_deleted(journal: Iterable[Json], notifications: Iterable[Json] | None = None) -> list[Finding]:
    """A client that read notifications deleted the ``image_result`` events of the jobs it listened to.

    With the mock's notifications (``GET /_mock/notifications``), each one left is a finding; from a
    journal alone, a user that listened yet never sent ``DELETE /notifications/{id}`` is.
    """
    found = []
    left = [n for n in notifications or () if n.get("name") == "image_result" and not n.get("deleted")]
    for user, entries in _by_user(journal).items():
        if not any(e.get("path") in LISTENED for e in entries):
            continue
        if notifications is None:
            if not any(e["method"] == "DELETE" and str(e["path"]).startswith("/notifications/") for e in entries):
                found.append(_undeleted(f"user {user!r}", "listened to notifications and deleted none"))
            continue
        jobs = _tracked_jobs(entries)
        found += [
            _undeleted(f"notification {n.get('id')} (image_result of {n['data'].get('id_task')})", "still not deleted")
            for n in left
            if same_user(user, n.get("user")) and (jobs is None or n.get("data", {}).get("id_task") in jobs)
        ]
    return found


def _undeleted(sent: str, observed: str) -> Finding:
    return Finding(
        "notifications_deleted",
        sent,
        "DELETE /notifications/{id} once the event is processed",
        observed,
        str(DELETE_AFTER_PROCESSING),
    )


def lint(
    journal: Iterable[Json], notifications: Iterable[Json] | None = None, *, user: str | None = None
) -> list[Finding]:
    """Every general finding in ``journal`` (of ``user`` only, when given), in check order."""
    entries = [e for e in journal if user is None or same_user(e.get("user"), user)]
    notes = (
        None if notifications is None else [n for n in notifications if user is None or same_user(n.get("user"), user)]
    )
    return [
        *requests_valid.find(entries),
        *waited_on_results_not_status.find(entries),
        *no_server_errors.find(entries),
        *no_repeated_rejections.find(entries),
        *waited_after_429.find(entries),
        *notifications_deleted.find(entries, notes),
    ]


def parse_journal(data: object, source: str) -> list[dict[str, Any]]:
    """A ``GET /_mock/journal`` body checked for the keys the checks read; ``LintSourceError`` otherwise."""
    if not isinstance(data, list):
        raise LintSourceError(
            f"{source}: expected the JSON array GET /_mock/journal returns, got {type(data).__name__}"
        )
    for index, entry in enumerate(data):
        if not isinstance(entry, Mapping) or any(k not in entry for k in REQUIRED_KEYS):
            raise LintSourceError(f"{source}: entry {index} is not a journal entry (needs {', '.join(REQUIRED_KEYS)})")
        if not isinstance(entry["status"], int):
            raise LintSourceError(f"{source}: entry {index}: status must be an integer")
    return [dict(e) for e in data]


def load_journal(path: str | Path) -> list[dict[str, Any]]:
    """A saved journal file (``curl $URL/_mock/journal > journal.json``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LintSourceError(f"{path}: cannot read a JSON journal: {exc}") from None
    return parse_journal(data, str(path))


def lint_url(
    url: str, *, control_token: str | None = None, user: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The journal and notifications of the mock at ``url``, through its control API."""
    headers = {"X-Mock-Control-Token": control_token} if control_token else {}
    params = {"user": user} if user else {}
    base = url.rstrip("/")
    try:
        with httpx.Client(headers=headers, timeout=FETCH_TIMEOUT) as client:
            journal, notes = (
                client.get(f"{base}/_mock/{what}", params=params) for what in ("journal", "notifications")
            )
    except httpx.HTTPError as exc:
        raise LintSourceError(f"{base}: cannot reach the mock's control API: {exc}") from None
    for answer in (journal, notes):
        if answer.status_code != 200:
            hint = " (pass --control-token)" if answer.status_code == 401 else ""
            raise LintSourceError(f"{answer.request.url}: {answer.status_code} {answer.text[:200]}{hint}")
    listed = notes.json()
    if not isinstance(listed, list):
        raise LintSourceError(f"{base}/_mock/notifications: expected a JSON array")
    return parse_journal(journal.json(), f"{base}/_mock/journal"), listed


def report(findings: Sequence[Finding], requests: int) -> str:
    """The findings as the kit prints them, or one line saying the traffic is clean."""
    if not findings:
        return f"piktid-mock lint: {requests} requests, no findings"
    count = len(findings)
    header = f"{count} contract finding{'s' if count != 1 else ''} in {requests} requests:"
    return "\n".join([header, *(str(f) for f in findings)])
