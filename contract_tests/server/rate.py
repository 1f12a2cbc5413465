"""The documented rate limit: 15 ``/edit-chat`` requests a minute per user, then 429 with Retry-After."""

from __future__ import annotations

import httpx

from contract_tests.calls import short
from contract_tests.findings import Finding, raise_findings, spec_of
from contract_tests.server.targets import Target
from contract_tests.server.world import auth
from piktid_spec import LIMITS

REQUEST = {"prompt": "rate limit probe", "size": "1K"}


def _send(target: Target, token: str) -> httpx.Response:
    return target.http.post("/edit-chat", json=REQUEST, headers=auth(token))


def _finding(sent: str, expected: str, response: httpx.Response) -> Finding:
    return Finding(
        "rate_limited_as_documented",
        sent,
        expected,
        f"{response.status_code} {short(response.text)}",
        spec_of("rate_limited"),
    )


def check_rate_limit(target: Target) -> None:
    """Within one minute the first 15 are accepted and the 16th is refused (429, ``Retry-After`` in
    whole seconds); another user is unaffected; once the window has passed, requests are accepted again.
    """
    limit, window = int(LIMITS["edit_chat_per_minute"].value), LIMITS["rate_window"].value
    token, other = "conformance-rate", "conformance-rate-other"
    for user in (token, other):
        target.control.set_account(user, plan="pro", credits=10_000)
    found = [
        _finding(f"request {i + 1} of {limit} in a minute", "202", r)
        for i, r in enumerate(_send(target, token) for _ in range(limit))
        if r.status_code != 202
    ]
    over = _send(target, token)
    retry = over.headers.get("Retry-After", "")
    if (
        over.status_code != 429
        or over.json().get("code") != "rate_limited"
        or not (retry.isdigit() and 1 <= int(retry) <= window)
    ):
        found.append(_finding(f"request {limit + 1} in a minute", "429 rate_limited with Retry-After seconds", over))
    if (elsewhere := _send(target, other)).status_code != 202:
        found.append(_finding("another user's first request", "202 (the limit is per user)", elsewhere))
    target.control.advance(window)
    if (later := _send(target, token)).status_code != 202:
        found.append(_finding(f"a request {window:g} s later", "202 (the window has passed)", later))
    raise_findings(found)
