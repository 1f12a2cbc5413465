"""A hypothesis state machine over the mock: upload, generate, continue, set credits, advance the
clock, delete notifications, set a webhook; every invariant checked after every step.

Two users share one mock so that ownership (404 for another user's file, job or notification) and
per-user credits are exercised together. The model (``contract_tests.server.model``) predicts
each answer from the docs; the invariants compare the mock's observable state with it.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from contract_tests import checks
from contract_tests.calls import short
from contract_tests.findings import Finding, raise_findings, spec_of
from contract_tests.server.expect import OUTCOMES, variation_outcome
from contract_tests.server.model import Model, UserModel
from contract_tests.server.openapi_run import DEAD_RECEIVER
from contract_tests.server.targets import Target
from contract_tests.server.world import auth, upload
from piktid_spec import CATALOGUE, CREDITS_PER_IMAGE, PLANS, Account, EditChatRequest
from piktid_spec.strategies import edit_chat_requests, invalid_edit_chat_requests
from piktid_spec.validate import read_params

USERS = ("alice", "bob")
MISSING_FILE = "file_never_uploaded"
FIRST_REQUEST = {"prompt": "first light", "size": "1K", "num_variations": 2}
SECONDS = (0.5, 1.0, 2.0, 3.0, 10.0, 61.0)
"""Clock steps: within one variation, across several, and past the rate-limit window."""


def _credits() -> st.SearchStrategy[float]:
    """A small balance (a few requests, then 402) or, one time in three, plenty."""
    return st.integers(0, 60).map(lambda c: 1000.0 if c > 40 else float(c))


def _requests(plan: str) -> st.SearchStrategy[tuple[object, str | None]]:
    """Three in four requests valid for ``plan``; the others break one rule (and must change nothing)."""
    account = Account(plan)
    valid = edit_chat_requests(account).map(lambda p: (p, None))
    return st.integers(0, 3).flatmap(lambda i: invalid_edit_chat_requests(account) if i == 2 else valid)


class ServerMachine(RuleBasedStateMachine):
    """Subclass with ``target`` set (see ``machine_for``); each run starts from a reset mock."""

    target: ClassVar[Target]
    files = Bundle("files")
    jobs = Bundle("jobs")

    def __init__(self) -> None:
        super().__init__()
        self.target.reset()
        self.model = Model(self.target.settings)
        self.identities: dict[str, list[str]] = {}
        self.seen_journal = 0

    # --- helpers ---------------------------------------------------------------------------------
    @property
    def control(self) -> Any:
        return self.target.control

    def _identities(self, token: str) -> list[str]:
        listing = self.target.http.get("/identity", params={"per_page": 100}, headers=auth(token)).json()
        return [i["identity_code"] for i in listing["identities"] if not i.get("locked")][:2]

    def _bind(self, token: str, payload: object, picked: list[str], conversation: str | None) -> object:
        if not isinstance(payload, dict):
            return payload
        usable, _ = read_params(payload)
        bound = dict(payload)
        if "image_ids" in usable:
            ids = picked or [f for f, owner in self.model.files.items() if owner == token] or [MISSING_FILE]
            bound["image_ids"] = [ids[i % len(ids)] for i in range(len(usable["image_ids"]))]
        if "identity_codes" in usable:
            codes = self.identities[token]
            bound["identity_codes"] = [codes[i % len(codes)] for i in range(len(usable["identity_codes"]))]
        if payload.get("conversation_id") is None or "conversation_id" in usable:
            bound.pop("conversation_id", None)
            if conversation is not None:
                bound["conversation_id"] = conversation
        return bound

    def _expect(self, token: str, payload: object, code: str | None, now: float) -> tuple[int, set[str]]:
        """(status, acceptable codes) in the documented order: validate, rate-limit, resolve, reserve."""
        if code is not None and (CATALOGUE[code].severity == "error" or self.target.settings.strict):
            return CATALOGUE[code].status, {code}
        if self.model.rate_limited(token, now):
            return 429, {"rate_limited"}
        usable, _ = read_params(payload if isinstance(payload, dict) else {})
        missing = set()
        conversation = usable.get("conversation_id")
        if conversation is not None and self.model.jobs.get(conversation) != token:
            missing.add("conversation_not_found")
        if any(self.model.files.get(f) != token for f in usable.get("image_ids", ())):
            missing.add("file_not_found")
        if missing:
            return 404, missing
        request = EditChatRequest.from_payload(payload)
        if not self.model.affordable(token, CREDITS_PER_IMAGE[request.size] * request.num_variations):
            return 402, {"insufficient_credits"}
        return 202, set()

    def _send(
        self, token: str, drawn: tuple[object, str | None], picked: list[str], outcome: str, conversation: str | None
    ) -> Any:
        payload = self._bind(token, drawn[0], picked, conversation)
        status, codes = self._expect(token, payload, drawn[1], self.control.now())
        response = self.target.http.post(
            "/edit-chat",
            content=json.dumps(payload).encode(),
            headers={**auth(token), "Content-Type": "application/json", "X-Mock-Scenario": outcome},
        )
        body = response.json()
        sent = f"POST /edit-chat {short(payload)} as {token}" + (f" (breaks {drawn[1]})" if drawn[1] else "")
        if response.status_code != status or (codes and body.get("code") not in codes):
            code = next(iter(codes), None)
            raise_findings(
                [
                    Finding(
                        "state_machine_answer",
                        sent,
                        f"{status} {sorted(codes) or ''}".strip(),
                        f"{response.status_code} {short(body)}",
                        spec_of(code) if code else "documented: the request is valid for this account",
                    )
                ]
            )
        if status != 202:
            return multiple()
        request = EditChatRequest.from_payload(payload)
        final, _ = variation_outcome(request, outcome, self.target.settings)
        self.model.start(
            token, body["job_id"], request.num_variations, CREDITS_PER_IMAGE[request.size], final, self.control.now()
        )
        return body["job_id"]

    # --- rules -----------------------------------------------------------------------------------
    @initialize(
        plans=st.tuples(*(st.sampled_from(sorted(PLANS)) for _ in USERS)),
        credits=st.tuples(*(_credits() for _ in USERS)),
    )
    def accounts(self, plans: tuple[str, ...], credits: tuple[float, ...]) -> None:
        """Each user gets a plan and a balance, and starts one generation (so every run has work)."""
        for token, plan, amount in zip(USERS, plans, credits, strict=True):
            self.control.set_account(token, plan=plan, credits=amount)
            self.model.users[token] = UserModel(token, plan, amount)
            self.identities[token] = self._identities(token)
            self._send(token, (FIRST_REQUEST, None), [], "completed", None)

    @rule(target=files, token=st.sampled_from(USERS))
    def upload_image(self, token: str) -> str:
        file_id = upload(self.target, token, (64, 48))
        self.model.files[file_id] = token
        return file_id

    @rule(
        target=jobs,
        token=st.sampled_from(USERS),
        data=st.data(),
        picked=st.lists(files, max_size=3),
        outcome=st.sampled_from(OUTCOMES),
    )
    def generate(self, token: str, data: st.DataObject, picked: list[str], outcome: str) -> Any:
        drawn = data.draw(_requests(self.model.users[token].plan), label="request")
        return self._send(token, drawn, picked, outcome, None)

    @rule(
        target=jobs,
        token=st.sampled_from(USERS),
        job=jobs,
        data=st.data(),
        picked=st.lists(files, max_size=3),
        outcome=st.sampled_from(OUTCOMES),
    )
    def continue_conversation(self, token: str, job: str, data: st.DataObject, picked: list[str], outcome: str) -> Any:
        drawn = data.draw(_requests(self.model.users[token].plan), label="request")
        return self._send(token, drawn, picked, outcome, job)

    @rule(token=st.sampled_from(USERS), credits=_credits())
    def set_credits(self, token: str, credits: float) -> None:
        self.control.set_account(token, credits=credits)
        self.model.set_credits(token, credits)

    @rule(seconds=st.sampled_from(SECONDS))
    def advance_clock(self, seconds: float) -> None:
        self.control.advance(seconds)
        self.model.advance(self.control.now())

    @rule(token=st.sampled_from(USERS), data=st.data())
    def delete_notification(self, token: str, data: st.DataObject) -> None:
        notes = self.control.notifications()
        note = data.draw(st.sampled_from(notes), label="notification") if notes else None
        nid = note["id"] if note else 10**9
        response = self.target.http.delete(f"/notifications/{nid}", headers=auth(token))
        ok = note is not None and note["user"] == token and not note["deleted"]
        if response.status_code != (200 if ok else 404):
            raise_findings(
                [
                    Finding(
                        "state_machine_answer",
                        f"DELETE /notifications/{nid} as {token}",
                        "200 (own, not yet deleted)" if ok else "404 notification_not_found",
                        f"{response.status_code} {short(response.json())}",
                        spec_of("notification_not_found"),
                    )
                ]
            )

    @rule(token=st.sampled_from(USERS))
    def set_webhook(self, token: str) -> None:
        since = max((n["id"] for n in self.control.notifications()), default=0)
        response = self.target.http.put("/webhooks", json={"url": DEAD_RECEIVER}, headers=auth(token))
        if response.status_code != 200 or "secret" not in response.json():
            raise_findings(
                [
                    Finding(
                        "state_machine_answer",
                        f"PUT /webhooks as {token}",
                        "200 with a secret",
                        f"{response.status_code} {short(response.json())}",
                        "",
                    )
                ]
            )
        user = self.model.users[token]
        user.webhook_since = since if user.webhook_since is None else user.webhook_since

    # --- invariants ------------------------------------------------------------------------------
    @invariant()
    def credits_are_conserved(self) -> None:
        found: list[Finding] = []
        for token, user in self.model.users.items():
            account = self.control.account(token) or {}
            found += checks.credits_conserved.find(account, start=user.start, charged=user.charged)
            found += checks.reservations_settled.find(account, reserved=self.model.reserved(token))
        raise_findings(found)

    @invariant()
    def results_match_notifications(self) -> None:
        notes = self.control.notifications()
        found: list[Finding] = []
        for job_id in sorted(self.model.dirty):
            owner = self.model.jobs[job_id]
            body = self.target.http.get(f"/jobs/{job_id}/results", headers=auth(owner)).json()
            items = body.get("results", [])
            mine = [n for n in notes if n["data"].get("id_task") == job_id]
            found += checks.results_conform.find(body)
            found += checks.one_notification_per_variation.find(items, mine)
            found += checks.results_agree_with_notifications.find(items, mine)
            found += self._statuses(job_id, items)
        self.model.dirty.clear()
        raise_findings(found)

    def _statuses(self, job_id: str, items: list[dict[str, Any]]) -> list[Finding]:
        want = {(v.image_index, v.group_index): v.status for v in self.model.of_job(job_id)}
        got = {(r["image_index"], r["group_index"]): r["status"] for r in items}
        if want == got:
            return []
        return [
            Finding(
                "results_follow_the_clock",
                f"GET /jobs/{job_id}/results",
                f"{want}",
                f"{got}",
                str(checks.TRACK_RESULTS),
            )
        ]

    @invariant()
    def polling_skips_deleted(self) -> None:
        notes = self.control.notifications()
        found = []
        for token in self.model.users:
            listed = self.target.http.post("/notifications", json={}, headers=auth(token)).json()
            want = [n["id"] for n in notes if n["user"] == token and not n["deleted"]]
            if [n["id"] for n in listed] != want:
                found.append(
                    Finding(
                        "notifications_consumed",
                        f"POST /notifications as {token}",
                        f"ids {want} (not deleted, oldest first)",
                        f"{[n['id'] for n in listed]}",
                        str(checks.DELETE_AFTER_PROCESSING),
                    )
                )
        raise_findings(found)

    @invariant()
    def webhook_gets_every_notification(self) -> None:
        notes = self.control.notifications()
        found = []
        for token, user in self.model.users.items():
            if user.webhook_since is None:
                continue
            sent = [d["notification_id"] for d in self.control.deliveries(token) if d["notification_id"] is not None]
            want = [n["id"] for n in notes if n["user"] == token and n["id"] > user.webhook_since]
            if sorted(sent) != want:
                found.append(
                    Finding(
                        "webhook_gets_every_notification",
                        f"webhook of {token}",
                        f"one delivery per notification {want}",
                        f"deliveries for {sorted(sent)}",
                        "inferred: the v2 reference sends every notification to the webhook "
                        '("Deliveries: the notification JSON as body")',
                    )
                )
        raise_findings(found)

    @invariant()
    def no_server_errors(self) -> None:
        entries = [e for e in self.control.journal() if e["seq"] > self.seen_journal]
        self.seen_journal = max((e["seq"] for e in entries), default=self.seen_journal)
        checks.no_server_errors(entries)


def machine_for(target: Target) -> type[ServerMachine]:
    """A ``ServerMachine`` bound to ``target`` (``.TestCase`` makes it a unittest case)."""
    return type("BoundServerMachine", (ServerMachine,), {"target": target})


def check_state_machine(target: Target, *, max_examples: int | None = None, steps: int | None = None) -> None:
    """Run the machine on ``target``: ``max_examples`` runs of ``steps`` steps.

    Defaults: the profile's step count, and a tenth of its examples as runs (each run is a whole
    sequence of steps, so "thorough" gives 100 runs of 200 steps).
    """
    extra: dict[str, Any] = {"max_examples": max_examples or max(1, settings().max_examples // 10)}
    if steps is not None:
        extra["stateful_step_count"] = steps
    run_state_machine_as_test(
        machine_for(target),
        settings=settings(
            deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], **extra
        ),
    )
