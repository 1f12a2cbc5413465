"""The load test's verdict: each check compares what the users did with what the server says.

Every check returns a list of problems (empty: passed), phrased for the verdict line.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from benchmarks._load_receiver import Receipt
from benchmarks._load_users import Key, Traffic, User
from mock_server.webhooks import verify
from piktid_spec import CREDITS_PER_IMAGE

TASK_SLACK = 3
"""Asyncio tasks the idle server may hold beyond its count before the load (uvicorn's own come and go)."""
IDLE_GROWTH_KIB = 8 * 1024
"""RSS the idle server may still gain after the load (allocator noise), in KiB."""
KIB_PER_REQUEST = 32
"""RSS the server may gain per request in the second half of the load, once warm. It keeps every
job, notification, delivery and (up to 100 000) journal entries by design, so some growth is due."""
MIN_SAMPLES = 6


def traffic_problems(traffic: Traffic) -> list[str]:
    problems = []
    server_errors = sum(n for code, n in traffic.statuses.items() if code >= 500)
    if server_errors:
        problems.append(f"{server_errors} answers were 5xx")
    if traffic.unexpected:
        problems.append(f"{len(traffic.unexpected)} unexpected answers, first: {traffic.unexpected[0]}")
    if traffic.transport_errors:
        problems.append(f"{len(traffic.transport_errors)} transport errors, first: {traffic.transport_errors[0]}")
    return problems


def results_problems(user: User, results: dict[Key, str]) -> list[str]:
    """Each variation the user started ends with the status it must (failed only when asked)."""
    expected = user.expected()
    wrong = [k for k in expected if results.get(k) != expected[k]]
    extra = [k for k in results if k not in expected]
    out = (
        [
            f"{user.token}: {len(wrong)} variations not as expected, e.g. {wrong[0]} is "
            f"{results.get(wrong[0])!r}, want {expected[wrong[0]]!r}"
        ]
        if wrong
        else []
    )
    return out + ([f"{user.token}: {len(extra)} results nobody asked for"] if extra else [])


def credit_problems(user: User, account: dict[str, Any], start: float) -> list[str]:
    """start - sum(price x completed variations) == credits, nothing in progress, charged == spent."""
    spent = sum(CREDITS_PER_IMAGE[g.size] * g.count for gens in user.jobs.values() for g in gens if not g.failed)
    out = []
    if abs(account["credits"] - (start - spent)) > 1e-6:
        out.append(f"{user.token}: credits {account['credits']} != {start} - {spent}")
    if account["in_progress_credits"] != 0:
        out.append(f"{user.token}: {account['in_progress_credits']} credits still in progress")
    if abs(account["charged_credits"] - spent) > 1e-6:
        out.append(f"{user.token}: charged {account['charged_credits']} != {spent}")
    return out


def stream_problems(user: User) -> list[str]:
    """Every variation's image_result exactly once on every stream of its user, with its status."""
    expected, out = user.expected(), []
    for n, stream in enumerate(user.streams):
        if stream.error:
            out.append(f"{user.token} stream {n}: {stream.error}")
        wrong = [k for k in expected if stream.seen.get(k, 0) != 1]
        extra = [k for k in stream.seen if k not in expected]
        if wrong:
            out.append(
                f"{user.token} stream {n}: {len(wrong)} variations not seen exactly once, "
                f"e.g. {wrong[0]} seen {stream.seen.get(wrong[0], 0)} times"
            )
        if extra:
            out.append(f"{user.token} stream {n}: {len(extra)} image_results of unknown variations")
        bad = [k for k in expected if k in stream.statuses and stream.statuses[k] != expected[k]]
        if bad:
            out.append(f"{user.token} stream {n}: {len(bad)} image_results with the wrong status")
    return out


def webhook_problems(user: User, receipts: list[Receipt], deliveries: list[dict[str, Any]]) -> list[str]:
    """Exactly one successful delivery (by X-Webhook-Delivery) per variation, signed, none given up."""
    expected, out = user.expected(), []
    ok_ids: dict[Key, set[str]] = defaultdict(set)
    for r in receipts:
        if r.event == "image_result" and r.ok:
            try:
                d = r.data()
            except ValueError:
                out.append(f"{user.token}: delivery {r.delivery} attempt {r.attempt}: body not JSON: {r.body[:80]!r}")
                continue
            ok_ids[(d["id_task"], d["image_index"], d["group_index"])].add(r.delivery)
    wrong = [k for k in expected if len(ok_ids.get(k, ())) != 1]
    if wrong:
        out.append(
            f"{user.token}: {len(wrong)} variations without exactly one successful webhook delivery, "
            f"e.g. {wrong[0]} has {len(ok_ids.get(wrong[0], ()))}"
        )
    unsigned = sum(
        not verify(user.secret, r.body, r.signature) for r in receipts if r.event != "ping" and not r.truncated
    )
    if unsigned:
        out.append(f"{user.token}: {unsigned} webhook requests with a bad signature")
    results = [d for d in deliveries if d["event"] == "image_result"]
    not_delivered = [d for d in results if d["status"] != "delivered"]
    if not_delivered:
        out.append(f"{user.token}: {len(not_delivered)} image_result deliveries {not_delivered[0]['status']}")
    if len(results) != len(expected):
        out.append(f"{user.token}: server made {len(results)} image_result deliveries for {len(expected)} variations")
    return out


def _steady_growth(samples: list[dict[str, Any]]) -> tuple[float, int] | None:
    """KiB of RSS per request over the second half of the load (past warm-up), and the requests in it."""
    if len(samples) < MIN_SAMPLES:
        return None
    mid, last = samples[len(samples) // 2], samples[-1]
    requests = last["requests"] - mid["requests"]
    return ((last["rss_kib"] - mid["rss_kib"]) / requests if requests else 0.0), requests


def growth_problems(
    before: dict[str, Any], idle_start: dict[str, Any], idle: dict[str, Any], load_samples: list[dict[str, Any]]
) -> list[str]:
    """Tasks and subscriptions back to where they were; RSS per request bounded once warm; flat when idle."""
    out = []
    if idle["tasks"] > before["tasks"] + TASK_SLACK:
        out.append(f"asyncio tasks {before['tasks']} before, {idle['tasks']} after the load")
    if idle["webhook_tasks"] or idle["subscriptions"]:
        out.append(f"left over: {idle['webhook_tasks']} webhook tasks, {idle['subscriptions']} subscriptions")
    if idle["rss_kib"] - idle_start["rss_kib"] > IDLE_GROWTH_KIB:
        out.append(f"RSS still grew {(idle['rss_kib'] - idle_start['rss_kib']) // 1024} MiB while idle")
    steady = _steady_growth(load_samples)
    if steady is not None and steady[0] > KIB_PER_REQUEST:
        out.append(
            f"RSS grew {steady[0]:.1f} KiB per request over the last {steady[1]} requests (bound {KIB_PER_REQUEST})"
        )
    return out
