"""The client suite: each scenario drives one documented path, then every general check runs.

A scenario returns its own findings (or None when it does not apply, e.g. no ``verify_webhook``).
``run_scenario`` adds the checks that hold for *every* scenario, read from the mock's journal:
valid requests, each sent as asked, no self-inflicted 4xx, no ``/status`` polling, processed
notifications deleted.
That is what lets the suite catch mistakes nobody listed: it checks documented behaviour, not bugs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from contract_tests import checks
from contract_tests.calls import Call, short
from contract_tests.clients.harness import CALL_TIMEOUT, LATENCY, Session, on_loop
from contract_tests.clients.protocol import ClientFactory
from contract_tests.findings import Finding, spec_of
from mock_server.testing import Delivery, LiveServer, WebhookReceiver, wait_until

Scenario = Callable[[Session], "list[Finding] | None"]
PROMPT = "A bottle of amber perfume half-submerged in a calm ocean at sunset, photorealistic."
UNKNOWN_FILE = "file_0000000000000000"
SSE_VARIATIONS = 3


def text_to_image(s: Session) -> list[Finding]:
    """A prompt alone, four variations: wait returns all four, each final."""
    return s.generate_and_wait({"prompt": PROMPT, "size": "1K", "num_variations": 4})


def edit_uploaded_image(s: Session) -> list[Finding]:
    """Upload (POST /upload, PUT the bytes), then edit the upload."""
    upload, path = s.upload((320, 240))
    stored = on_loop(s.server, lambda b: b.file_info(upload.value) if isinstance(upload.value, str) else None)
    if not upload.returned or stored is None or stored["image_size"] != (320, 240):
        return [
            Finding(
                "upload_returned_file_id",
                upload.what,
                "the file_id of the uploaded bytes",
                upload.outcome() + ("" if stored is None else f"; stored size {stored['image_size']}"),
                str(checks.UPLOAD),
            )
        ]
    return s.generate_and_wait(
        {"prompt": "Place this sneaker on a wet city street at night.", "image_ids": [upload.value], "size": "1K"}
    )


def continue_conversation(s: Session) -> list[Finding]:
    """A second turn with conversation_id: same job_id, and wait returns the new generation only."""
    first = s.generate({"prompt": PROMPT, "size": "1K"})
    if not first.returned or not s.owns_job(first.value):
        return [Finding("generate_returned_job_id", first.what, "a job_id", first.outcome(), str(checks.JOB_ID))]
    s.jobs.add(first.value)
    found = checks.waited_for_final_results.find(s.wait(first.value), s.final_results(first.value))
    return found + s.generate_and_wait(
        {
            "prompt": "Warm the lighting and add a soft rim light on the left.",
            "conversation_id": first.value,
            "size": "1K",
            "num_variations": 2,
        },
        same_job=first.value,
    )


def two_identities(s: Session) -> list[Finding]:
    """The most identities a request may name (two)."""
    codes = on_loop(s.server, lambda b: b.usable_identities(b.authenticate(s.token))[:2])
    return s.generate_and_wait(
        {
            "prompt": "Full-body editorial shot of the model in a beige trench coat.",
            "identity_codes": codes,
            "size": "1K",
        }
    )


def failed_variations(s: Session) -> list[Finding]:
    """Every variation fails: wait still returns, with each result failed and its error message."""
    s.control.fail_next(kind="fail_variation", token=s.token)
    found = s.generate_and_wait({"prompt": PROMPT, "size": "1K", "num_variations": 2})
    return found + (checks.failures_surfaced.find(*s.last_wait) if s.last_wait else [])


def ratio_output(s: Session) -> list[Finding]:
    """``output_mode: ratio`` with an ``aspect_ratio``: the results have that ratio's dimensions."""
    return _with_dimensions(
        s, {"prompt": PROMPT, "size": "1K", "num_variations": 2, "output_mode": "ratio", "aspect_ratio": "16:9"}
    )


def custom_dimensions(s: Session) -> list[Finding]:
    """``output_mode: custom`` on a Pro account (it has the entitlement): exactly ``width`` x ``height``."""
    s.control.set_account(s.token, plan="pro")
    return _with_dimensions(s, {"prompt": PROMPT, "size": "1K", "output_mode": "custom", "width": 1200, "height": 800})


def _with_dimensions(s: Session, request: dict[str, object]) -> list[Finding]:
    found = s.generate_and_wait(request)
    return found + (checks.dimensions_delivered.find(s.last_wait[1], request) if s.last_wait else [])


def explicit_model(s: Session) -> list[Finding]:
    """An explicit engine (``model: seedream``) is sent as given and generates as usual."""
    return s.generate_and_wait({"prompt": PROMPT, "size": "1K", "model": "seedream"})


def explicit_model_refused(s: Session) -> list[Finding]:
    """The named engine refuses (no fallback for an explicit model): wait returns each variation failed,
    with the server's error message, instead of hanging."""
    s.control.fail_next(kind="refusal", token=s.token)
    found = s.generate_and_wait({"prompt": PROMPT, "size": "1K", "model": "gpt_image", "num_variations": 2})
    return found + (checks.failures_surfaced.find(*s.last_wait) if s.last_wait else [])


def sse_tracking(s: Session) -> list[Finding] | None:
    """A wait that listens to the SSE stream connects while nothing is final, so its first frame is
    ``backfill_complete`` with ``data: {}``; every variation then completes live. The mock's clock is
    held until the client is tracking, which makes that order certain. A client that polls results
    instead is just as valid: for it the scenario does not apply (None)."""
    request = {"prompt": PROMPT, "size": "1K", "num_variations": SSE_VARIATIONS}
    s.control.set_clock("manual")
    try:
        started = s.generate(request)
        if not started.returned or not s.owns_job(started.value):
            return [
                Finding("generate_returned_job_id", started.what, "a job_id", started.outcome(), str(checks.JOB_ID))
            ]
        job_id, seen = started.value, len(s.journal())
        s.jobs.add(job_id)
        waiting = s.wait_in_background(job_id)
        how = _tracking(s, job_id, seen)
        s.control.advance(LATENCY * SSE_VARIATIONS + 1)
    finally:
        s.control.set_clock("real")
    waited = waiting()
    return None if how == "poll" else checks.waited_for_final_results.find(waited, s.final_results(job_id))


def _tracking(s: Session, job_id: str, seen: int) -> str | None:
    """How the client follows ``job_id``: "stream" (it opened the notifications stream), "poll" (it
    reads results or polls notifications), or None when it did neither within a few seconds."""
    polls = (f"/jobs/{job_id}/results", "/notifications")

    def look() -> str | None:
        paths = [e["path"] for e in s.journal()[seen:]]
        if s.control.open_streams(s.token) or "/notifications/events" in paths:
            return "stream"
        return "poll" if any(p in polls for p in paths) else None

    try:
        return wait_until(look, CALL_TIMEOUT / 4, what="the client to track its job")
    except TimeoutError:
        return None


def _expect_status(s: Session, request: dict[str, object], status: int) -> list[Finding]:
    s.allowed.add(status)
    return checks.surfaced_status.find(s.generate(request), status)


def bad_request_400(s: Session) -> list[Finding]:
    """Requests it is asked to send that break a rule: the 400 surfaces as status_code 400."""
    s.invalid_on_purpose = True
    return _expect_status(s, {"size": "1K"}, 400) + _expect_status(
        s, {"prompt": PROMPT, "size": "1K", "num_variations": 5}, 400
    )


def insufficient_credits_402(s: Session) -> list[Finding]:
    s.control.set_account(s.token, credits=0)
    return _expect_status(s, {"prompt": PROMPT, "size": "1K"}, 402)


def size_not_in_plan_403(s: Session) -> list[Finding]:
    s.invalid_on_purpose = True
    s.control.set_account(s.token, plan="free")
    return _expect_status(s, {"prompt": PROMPT, "size": "2K"}, 403)


def unknown_image_404(s: Session) -> list[Finding]:
    return _expect_status(s, {"prompt": PROMPT, "image_ids": [UNKNOWN_FILE], "size": "1K"}, 404)


def rate_limited_429(s: Session) -> list[Finding]:
    """The next /edit-chat answers 429: raise it (status_code 429) or retry until a job starts."""
    s.control.fail_next(429, token=s.token)
    s.allowed.add(429)
    call = s.generate({"prompt": PROMPT, "size": "1K"})
    if call.error is not None or call.timed_out:
        s.asked.pop()  # the 429 is answered before the body is read: the journal cannot show what was sent
        return checks.surfaced_status.find(call, 429)
    if not s.owns_job(call.value):
        return [
            Finding(
                "surfaced_status",
                call.what,
                "status_code 429 raised, or a job_id after a retry",
                call.outcome(),
                spec_of("rate_limited"),
            )
        ]
    s.jobs.add(call.value)
    return checks.waited_for_final_results.find(s.wait(call.value), s.final_results(call.value))


def webhook_signature(s: Session) -> list[Finding] | None:
    """A real signed delivery is accepted; tampered bodies, signatures and secrets are rejected.

    Not applicable (None) to a client without ``verify_webhook``, or whose ``verify_webhook`` raises
    ``NotImplementedError``.
    """
    verify = getattr(s.client, "verify_webhook", None)
    if not callable(verify):
        return None
    with WebhookReceiver() as receiver:
        answer = httpx.put(
            f"{s.server.url}/webhooks",
            json={"url": receiver.url},
            headers={"Authorization": f"Bearer {s.token}"},
            timeout=CALL_TIMEOUT,
        )
        delivery = _next_delivery(receiver) if answer.status_code == 200 else None
    if answer.status_code != 200 or delivery is None:
        return [
            Finding(
                "webhook_signature_verified",
                "PUT /webhooks",
                "a signed ping delivery",
                f"{answer.status_code} {short(answer.text)}; delivery {delivery is not None}",
                "",
            )
        ]
    secret, header = answer.json()["secret"], delivery.headers.get("x-webhook-signature", "")
    if _not_implemented(verify, secret, delivery.body, header):
        return None
    return checks.webhook_signature_verified.find(verify, secret, delivery.body, header)


def _not_implemented(verify: Callable[[str, bytes, str], object], secret: str, body: bytes, header: str) -> bool:
    """A ``verify_webhook`` raising ``NotImplementedError`` (an exec adapter's "not implemented") does not apply."""
    try:
        verify(secret, body, header)
    except NotImplementedError:
        return True
    except Exception:  # any other verdict is judged by the check itself
        return False
    return False


def _next_delivery(receiver: WebhookReceiver) -> Delivery | None:
    """The receiver's first delivery, or None when none comes within ``CALL_TIMEOUT`` (a finding, not a crash)."""
    try:
        return receiver.next(CALL_TIMEOUT)
    except TimeoutError:
        return None


SCENARIOS: dict[str, Scenario] = {
    f.__name__: f
    for f in (
        text_to_image,
        edit_uploaded_image,
        continue_conversation,
        two_identities,
        failed_variations,
        ratio_output,
        custom_dimensions,
        explicit_model,
        explicit_model_refused,
        sse_tracking,
        bad_request_400,
        insufficient_credits_402,
        size_not_in_plan_403,
        unknown_image_404,
        rate_limited_429,
        webhook_signature,
    )
}
"""Scenario name -> scenario: the client suite, in the order it runs."""


def general_findings(s: Session) -> list[Finding]:
    """What holds for every scenario, from the mock's journal of this user's requests."""
    journal = s.journal()
    found = checks.no_server_errors.find(journal)
    found += checks.waited_on_results_not_status.find(journal)
    found += checks.no_unexpected_client_errors.find(journal, s.allowed)
    found += checks.notifications_consumed.find(journal, s.notifications(), s.jobs)
    found += checks.sent_as_asked.find(s.asked, journal)
    if not s.invalid_on_purpose:
        found += checks.requests_valid.find(journal)
    return found


def run_scenario(
    name: str, factory: ClientFactory, server: LiveServer, workdir: Path, token: str | None = None
) -> list[Finding] | None:
    """Run one scenario with a fresh client and user; its findings plus the general ones (None: n/a)."""
    session = Session(server, factory, token or f"client-{name}-{uuid.uuid4().hex[:8]}", workdir)
    try:
        found = _guarded(SCENARIOS[name], session)
        if found is None:
            return None
        return found + general_findings(session)
    finally:
        session.close()


def _guarded(scenario: Scenario, session: Session) -> list[Finding] | None:
    """A client that raises where the kit did not expect it is a finding, not a crash of the suite."""
    try:
        return scenario(session)
    except Exception as exc:  # the client under test may raise anything
        return [
            Finding(
                scenario.__name__,
                "the scenario's client calls",
                "no exception outside the protocol",
                Call("", error=exc).outcome(),
                "",
            )
        ]
