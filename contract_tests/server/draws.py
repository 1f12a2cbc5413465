"""Hypothesis draws from ``piktid_spec.strategies`` sent to the mock, each checked against the spec.

``check_valid_requests``: every valid request (for a drawn plan, credit balance and outcome) is
accepted, completes when the clock moves, and yields results whose shape, dimensions, statuses,
notifications and charged credits are the documented ones. ``check_invalid_requests``: every
request with one rule broken gets exactly that rule's status and ``code`` (a warning is accepted,
unless the mock is strict). Findings fail the example; hypothesis then shrinks it.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from jsonschema import Draft202012Validator
from PIL import Image

from contract_tests import checks
from contract_tests.calls import short
from contract_tests.findings import Finding, raise_findings, spec_of
from contract_tests.server.expect import OUTCOMES, Draw, expect, insufficient_body
from contract_tests.server.targets import Target
from contract_tests.server.world import World, auth, build_world
from piktid_spec import PLANS, Account, thumbnail_size
from piktid_spec.shapes import resolved
from piktid_spec.strategies import edit_chat_requests, invalid_edit_chat_requests_for, rule_codes

SCENARIO_HEADER = "X-Mock-Scenario"


def run_settings(max_examples: int | None = None) -> settings:
    """The loaded profile, with ``max_examples`` if given; never a deadline (requests take real time)."""
    extra: dict[str, Any] = {} if max_examples is None else {"max_examples": max_examples}
    return settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], **extra)


# --- strategies ---------------------------------------------------------------------------------------


def _credits() -> SearchStrategy[float]:
    """Plenty, or a small balance that may not cover the request (402)."""
    return st.one_of(st.just(1000.0), st.integers(0, 45).map(float))


def _blocking(payload: object, blocked: bool, term: str) -> object:
    """Put a blocked subject in a valid prompt (the content filter's 403), when asked."""
    if blocked and isinstance(payload, dict) and isinstance(payload.get("prompt"), str) and payload["prompt"]:
        return {**payload, "prompt": f"{payload['prompt']} {term}"}
    return payload


def _priced(account: Account) -> SearchStrategy[dict[str, Any]]:
    """The price fields (size, num_variations), each left as drawn or set to a value valid for ``account``.

    Requests leave optional fields out most of the time; prices are what credit conservation is
    about, so every size and variation count must come up often.
    """
    sizes = st.none() | st.sampled_from(sorted(account.sizes))
    counts = st.none() | st.integers(1, 4)
    return st.fixed_dictionaries({"size": sizes, "num_variations": counts}).map(
        lambda d: {k: v for k, v in d.items() if v is not None}
    )


def valid_draws(blocklist: tuple[str, ...] = ("blocked-subject",)) -> SearchStrategy[Draw]:
    """A plan, a request valid for it, a balance and an outcome; one draw in ten names a blocked subject."""

    def for_plan(plan: str) -> SearchStrategy[Draw]:
        account = Account(plan)
        blocked = st.integers(0, 9).map(lambda i: i == 5 and bool(blocklist))
        payloads = st.tuples(edit_chat_requests(account), _priced(account), blocked).map(
            lambda t: _blocking({**t[0], **t[1]}, t[2], blocklist[0] if blocklist else "")
        )
        return st.builds(Draw, payloads, st.just(plan), _credits(), st.sampled_from(OUTCOMES))

    return st.sampled_from(sorted(PLANS)).flatmap(for_plan)


def invalid_draws() -> SearchStrategy[Draw]:
    """A plan, a rule that can be broken alone for it, and a request breaking exactly that rule.

    The (plan, rule) pair is drawn first so every rule gets its share of examples, however many
    ways a strategy has to break some of them.
    """
    pairs = [(plan, code) for plan in sorted(PLANS) for code in sorted(rule_codes(Account(plan)))]

    def for_pair(pair: tuple[str, str]) -> SearchStrategy[Draw]:
        plan, code = pair
        return invalid_edit_chat_requests_for(code, Account(plan)).map(lambda p: Draw(p, plan, 1000.0, code=code))

    return st.sampled_from(pairs).flatmap(for_pair)


# --- one exchange -------------------------------------------------------------------------------------


class Exchange:
    """Send one draw as ``world``'s user and check every documented consequence."""

    def __init__(self, target: Target, world: World, draw: Draw) -> None:
        self.target, self.world, self.draw = target, world, draw
        self.payload = world.bind(draw.payload)
        readable = self.payload if isinstance(self.payload, dict) else {}
        self.expected = expect(draw, target.settings, world.input_size(readable))
        self.sent = (
            f"POST /edit-chat {short(self.payload)} as {draw.plan} with {draw.credits:g} credits"
            + (f", outcome {draw.outcome}" if draw.outcome != "completed" else "")
            + (f" (breaks {draw.code})" if draw.code else "")
        )

    def run(self) -> None:
        control, token = self.target.control, self.world.token
        control.set_account(token, plan=self.draw.plan, credits=self.draw.credits)
        checks.reservations_settled(control.account(token) or {}, reserved=0)
        response = self.target.http.post(
            "/edit-chat",
            content=json.dumps(self.payload).encode(),
            headers={**auth(token), "Content-Type": "application/json", SCENARIO_HEADER: self.draw.outcome},
        )
        body = _json(response)
        if not self.expected.accepted:
            return self._rejected(response.status_code, body)
        raise_findings(self._in_context(self._accepted(response.status_code, body)))
        self._complete(body["job_id"])

    def _rejected(self, status: int, body: Any) -> None:
        assert self.expected.code is not None
        found = checks.rejected_as_documented.find(self.sent, status, body, self.expected.code)
        if status == 402 and isinstance(body, dict):
            want = insufficient_body(self.expected, self.draw.credits)
            got = {k: body.get(k) for k in want}
            if got != want:
                found.append(
                    Finding(
                        "rejected_as_documented",
                        self.sent,
                        f"402 body with {want}",
                        f"{got}",
                        spec_of("insufficient_credits"),
                    )
                )
        self.target.control.advance(self.target.settings.rate_window)
        found += checks.credits_conserved.find(self._account(), start=self.draw.credits, charged=0)
        raise_findings(self._in_context(found))

    def _accepted(self, status: int, body: Any) -> list[Finding]:
        if status != 202:
            return [
                Finding(
                    "accepted_as_documented",
                    self.sent,
                    "202 with a job_id",
                    f"{status}: {short(body)}",
                    _why_valid(self.draw),
                )
            ]
        found = _shape_findings("EditChatAccepted", body, self.sent)
        same = body.get("conversation_id") == body.get("job_id")
        continued = isinstance(self.payload, dict) and self.payload.get("conversation_id") == self.world.conversation
        if not same or (continued and body.get("job_id") != self.world.conversation):
            found.append(
                Finding(
                    "accepted_as_documented",
                    self.sent,
                    "job_id == conversation_id (the continued one)",
                    short(body),
                    str(checks.SAME_JOB),
                )
            )
        reserved = self.expected.per_image * self.expected.variations
        return found + checks.reservations_settled.find(self._account(), reserved=reserved)

    def _complete(self, job_id: str) -> None:
        settings = self.target.settings
        self.target.control.advance(settings.latency * self.expected.variations + settings.rate_window)
        results = self.target.http.get(f"/jobs/{job_id}/results", headers=auth(self.world.token)).json()
        found = checks.results_conform.find(results)
        items = [r for r in results.get("results", []) if r.get("image_index") == _last_index(results)]
        found += self._variations(items)
        found += checks.credits_conserved.find(self._account(), start=self.draw.credits, charged=self.expected.charged)
        found += checks.reservations_settled.find(self._account(), reserved=0)
        notes = [
            n
            for n in self.target.control.notifications(self.world.token)
            if n["data"].get("id_task") == job_id and n["data"].get("image_index") == _last_index(results)
        ]
        found += checks.one_notification_per_variation.find(items, notes)
        found += checks.results_agree_with_notifications.find(items, notes)
        found += self._thumbnail(items)
        if job_id == self.world.conversation and "completed" in self.expected.statuses:
            self.world.conversation_size = self.expected.size or self.world.conversation_size
        raise_findings(self._in_context(found))

    def _variations(self, items: list[dict[str, Any]]) -> list[Finding]:
        e = self.expected
        want = [
            (i, status, e.model_used if status == "completed" else None, *(e.size or (None, None)))
            for i, status in enumerate(e.statuses)
        ]
        got = [
            (r["group_index"], r["status"], r.get("model_used"), r.get("width"), r.get("height"))
            for r in sorted(items, key=lambda r: r["group_index"])
        ]
        if got == want:
            return []
        return [
            Finding(
                "results_match_request",
                self.sent,
                f"(group_index, status, model_used, width, height) = {want}",
                f"{got}",
                str(checks.DIMENSIONS),
            )
        ]

    def _thumbnail(self, items: list[dict[str, Any]]) -> list[Finding]:
        done = [r for r in items if r["status"] == "completed"]
        if not done or self.expected.size is None:
            return []
        url = done[0]["output"]["thumbnail"]
        response = self.target.http.get(url)
        size = Image.open(io.BytesIO(response.content)).size if response.status_code == 200 else None
        want = thumbnail_size(self.expected.size)
        if size == want:
            return []
        return [
            Finding(
                "results_match_request",
                f"GET {url}",
                f"a {want[0]}x{want[1]} thumbnail",
                f"status {response.status_code}, size {size}",
                str(checks.DIMENSIONS),
            )
        ]

    def _in_context(self, found: list[Finding]) -> list[Finding]:
        """Findings about state (accounts, notifications) name the request that led to them."""
        return [
            f if f.sent.startswith("POST /edit-chat") else replace(f, sent=f"{f.sent}, after {self.sent}")
            for f in found
        ]

    def _account(self) -> dict[str, Any]:
        return self.target.control.account(self.world.token) or {}


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"<not json>": response.text[:200]}


def _last_index(results: dict[str, Any]) -> int:
    return max((r.get("image_index", 0) for r in results.get("results", [])), default=0)


def _shape_findings(name: str, body: Any, sent: str) -> list[Finding]:
    return [
        Finding("accepted_as_documented", sent, f"a body of the {name} shape", e.message, str(checks.JOB_ID))
        for e in Draft202012Validator(resolved(name)).iter_errors(body)
    ]


def _why_valid(draw: Draw) -> str:
    if draw.code:
        return f"{spec_of(draw.code)} (a warning: accepted unless the mock is strict)"
    return f"{checks.PROMPT_ALONE} (this request breaks no rule for its plan)"


# --- the hypothesis runs --------------------------------------------------------------------------------


def _drive(target: Target, name: str, draws: SearchStrategy[Draw], max_examples: int | None) -> None:
    worlds = [build_world(target, name)]

    @given(draw=draws)
    @run_settings(max_examples)
    def exchange(draw: Draw) -> None:
        try:
            Exchange(target, worlds[-1], draw).run()
        except BaseException:
            worlds.append(build_world(target, f"{name}-{len(worlds)}"))
            raise

    exchange()


def check_valid_requests(target: Target, *, max_examples: int | None = None) -> None:
    """Every valid draw is accepted (or refused for a documented reason: 402, content filter) and completes."""
    _drive(target, "conformance-valid", valid_draws(target.settings.blocklist), max_examples)


def check_invalid_requests(target: Target, *, max_examples: int | None = None) -> None:
    """Every draw with one broken rule gets that rule's status and code (a warning: accepted unless strict)."""
    _drive(target, "conformance-invalid", invalid_draws(), max_examples)
