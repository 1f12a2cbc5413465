"""Every documented behaviour the kit checks, as a plain function named as the assertion it makes.

Call a check to assert it (it raises ``ContractViolation`` with every finding), or call its
``.find`` to get the findings as a list. Inputs are plain data the mock hands out: journal
entries (``MockControl.journal()`` / ``GET /_mock/journal``), accounts, notifications and
``GET /jobs/{id}/results`` bodies, so the checks work on any target, in-process or over HTTP.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Generic, ParamSpec

from jsonschema import Draft202012Validator

from contract_tests.calls import Call, short
from contract_tests.findings import Finding, raise_findings, spec_of
from piktid_spec import CATALOGUE, Provenance
from piktid_spec.credits import CREDITS_PROVENANCE
from piktid_spec.params import EDIT_CHAT
from piktid_spec.shapes import resolved
from piktid_spec.sizing import output_size

P = ParamSpec("P")
Json = Mapping[str, Any]

STATUS_IS_NOT_READINESS = Provenance(
    "documented",
    (
        "GET /jobs/{job_id}/status always reports completed and is not a readiness signal. Track the per-image "
        "result instead: watch for the image_result notification below, or poll GET /jobs/{job_id}/results "
        "and check each result's own status."
    ),
)
TRACK_RESULTS = Provenance(
    "documented",
    (
        "Track the per-image result instead: watch for the image_result notification below, or poll "
        "GET /jobs/{job_id}/results and check each result's own status."
    ),
)
DELETE_AFTER_PROCESSING = Provenance(
    "documented", ("Use DELETE /notifications/{id} after processing events so they are not replayed on reconnect.")
)
ONE_EVENT_PER_IMAGE = Provenance(
    "documented",
    (
        "watch for an image_result event whose status is completed (or failed). The notification carries the "
        "output URL directly."
    ),
)
LATEST_GENERATION = Provenance(
    "documented",
    (
        "The same job_id accumulates each generation as a new result (keyed by image_index). ... "
        "image_index identifies the generation and group_index the variation."
    ),
)
SIGNATURE = Provenance(
    "documented",
    (
        'expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest() ... '
        "if not verify_signature(webhook_secret, body, signature): abort(401)"
    ),
)
JOB_ID = Provenance("documented", "The response returns a job_id.")
SAME_JOB = Provenance("documented", "Use the job_id (which equals conversation_id) returned by an earlier call.")
PROMPT_ALONE = Provenance("documented", "A prompt on its own is a valid request.")
UPLOAD = Provenance(
    "documented", ("request a pre-signed URL, then PUT the bytes. The returned file_id is what you pass in image_ids.")
)
STANDARD_RESULT = Provenance("documented", "Each output is a standard image result")
DIMENSIONS = Provenance(
    "documented",
    (
        "match keeps the input image's size; ratio uses aspect_ratio; custom uses exact width / height. "
        "On this endpoint auto behaves as match."
    ),
)
AS_ASKED = Provenance(
    "inferred",
    "a client that drops or changes a field its caller gave delivers another image than the one asked for",
)
FAILED_VARIATION = Provenance(
    "documented",
    (
        "watch for an image_result event whose status is completed (or failed) ... "
        'raise RuntimeError(data.get("error_message", "Generation failed"))'
    ),
)
DEFAULTS: dict[str, Any] = {p.name: p.default for p in EDIT_CHAT.params}
"""``/edit-chat`` field -> its documented default: the only values a client may add unasked."""
FINAL_STATUSES = ("completed", "failed")
_STATUS_PATH = re.compile(r"^/jobs/[^/]+/status/?$")


class Check(Generic[P]):
    """An assertion made of a finder: ``check(...)`` raises, ``check.find(...)`` returns findings."""

    def __init__(self, finder: Callable[P, list[Finding]]) -> None:
        self.find = finder
        self.name = finder.__name__
        self.__doc__ = finder.__doc__
        self.__name__ = finder.__name__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        __tracebackhide__ = True
        raise_findings(self.find(*args, **kwargs))

    def __repr__(self) -> str:
        return f"<check {self.name}>"


def check(finder: Callable[P, list[Finding]]) -> Check[P]:
    return Check(finder)


def request_line(entry: Json) -> str:
    """``POST /edit-chat -> 400 num_variations_out_of_range`` for a journal entry."""
    query = f"?{entry['query']}" if entry.get("query") else ""
    code = f" {entry['code']}" if entry.get("code") else ""
    body = f" body={short(entry['body'])}" if entry.get("body") is not None else ""
    return f"{entry['method']} {entry['path']}{query}{body} -> {entry['status']}{code}"


def _provenance(violation: Json) -> str:
    prov = violation.get("provenance") or {}
    return str(Provenance(prov["kind"], prov["text"])) if prov.get("kind") in ("documented", "inferred") else ""


# --- the journal: what a client sent --------------------------------------------------------------


@check
def no_server_errors(journal: Iterable[Json]) -> list[Finding]:
    """No request was answered with a 5xx (the mock never answers one unless a fault rule says so)."""
    return [
        Finding(
            "no_server_errors",
            request_line(e),
            "a 2xx or a documented 4xx",
            f"status {e['status']}",
            spec_of("internal_error"),
        )
        for e in journal
        if e["status"] >= 500
    ]


@check
def requests_valid(journal: Iterable[Json]) -> list[Finding]:
    """Every ``POST /edit-chat`` broke no rule of the spec, warnings (rules the service may not enforce) included."""
    return [
        Finding(
            "requests_valid",
            f"{request_line(e)} (field {v.get('field')!r})",
            "a request with no spec violation (warnings included)",
            f"{v['code']} ({v.get('severity', 'error')}): {v['message']}",
            _provenance(v),
        )
        for e in journal
        if e["method"] == "POST" and e["path"] == "/edit-chat"
        for v in e.get("violations") or ()
    ]


def _edit_chat_bodies(journal: Iterable[Json]) -> list[Json]:
    """The ``POST /edit-chat`` entries whose JSON body the mock read (a fault answered before it has none)."""
    return [
        e for e in journal if e["method"] == "POST" and e["path"] == "/edit-chat" and isinstance(e.get("body"), Mapping)
    ]


def _no_body(journal: Iterable[Json]) -> str:
    """What to say when no body is left to compare: cut bodies (the journal's size limit) are not compared."""
    cut = sum(1 for e in journal if e["path"] == "/edit-chat" and e.get("body_truncated"))
    if cut:
        return f"no whole POST /edit-chat body: {cut} were cut by the mock's --journal-body-bytes and not compared"
    return "no POST /edit-chat body arrived"


def differences(asked: Json, sent: Json) -> list[str]:
    """What ``sent`` dropped, changed or added (other than a documented default) relative to ``asked``."""
    found = [f"dropped {k!r} (asked {short(v)})" for k, v in asked.items() if k not in sent]
    found += [
        f"changed {k!r}: asked {short(v)}, sent {short(sent[k])}"
        for k, v in asked.items()
        if k in sent and not _same(sent[k], v)
    ]
    found += [
        f"added {k!r}: {short(v)} (documented default: {short(DEFAULTS[k]) if k in DEFAULTS else 'none, not a field'})"
        for k, v in sent.items()
        if k not in asked and (k not in DEFAULTS or not _same(v, DEFAULTS[k]))
    ]
    return found


def _same(a: object, b: object) -> bool:
    """JSON equality: ``true`` is not ``1``."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _field_provenance(diffs: list[str]) -> str:
    field_name = diffs[0].split("'")[1] if diffs and "'" in diffs[0] else ""
    known = {p.name: p for p in EDIT_CHAT.params}
    return str(known[field_name].provenance) if field_name in known else str(AS_ASKED)


@check
def sent_as_asked(asked: Sequence[Json], journal: Iterable[Json]) -> list[Finding]:
    """Each request the client was asked to send reached ``POST /edit-chat`` with every given field unchanged.

    A client may add a field left out only with its documented default (``DEFAULTS``); retries are
    fine. Requests are matched in order: each to the first later body that carries it as asked.
    """
    journal = list(journal)
    bodies, found, position = _edit_chat_bodies(journal), [], 0
    missing = _no_body(journal)
    for request in asked:
        match = next((i for i in range(position, len(bodies)) if not differences(request, bodies[i]["body"])), None)
        if match is not None:
            position = match + 1
            continue
        nearest = bodies[position] if position < len(bodies) else None
        diffs = differences(request, nearest["body"]) if nearest is not None else []
        found.append(
            Finding(
                "sent_as_asked",
                f"generate({short(request)})",
                "POST /edit-chat with every given field and value (documented defaults may be added)",
                f"{'; '.join(diffs)} in {request_line(nearest)}" if nearest else missing,
                _field_provenance(diffs) if diffs else str(AS_ASKED),
            )
        )
        position += nearest is not None
    return found


@check
def waited_on_results_not_status(journal: Iterable[Json]) -> list[Finding]:
    """The client never read ``GET /jobs/{id}/status``: for Image Playground it is not a readiness signal."""
    return [
        Finding(
            "waited_on_results_not_status",
            request_line(e),
            "wait on GET /jobs/{id}/results or the image_result notification",
            "the client read /status, which always reports completed",
            str(STATUS_IS_NOT_READINESS),
        )
        for e in journal
        if e["method"] == "GET" and _STATUS_PATH.match(e["path"])
    ]


@check
def no_unexpected_client_errors(journal: Iterable[Json], allowed: Collection[int] = ()) -> list[Finding]:
    """Every 4xx the client got is one the scenario provoked (``allowed``): no self-inflicted errors."""
    return [
        Finding(
            "no_unexpected_client_errors",
            request_line(e),
            f"no 4xx{' other than ' + ', '.join(map(str, sorted(allowed))) if allowed else ''}",
            f"{e['status']} {e.get('code') or ''}".strip(),
            spec_of(e.get("code") or ""),
        )
        for e in journal
        if 400 <= e["status"] < 500 and e["status"] not in allowed
    ]


def _listened(journal: Iterable[Json]) -> bool:
    return any(
        e["path"] == "/notifications/events" or (e["method"] == "POST" and e["path"] == "/notifications")
        for e in journal
    )


@check
def notifications_consumed(
    journal: Iterable[Json], notifications: Iterable[Json], job_ids: Collection[str]
) -> list[Finding]:
    """A client that read notifications deleted each ``image_result`` of its jobs, so none is replayed."""
    if not _listened(journal):
        return []
    return [
        Finding(
            "notifications_consumed",
            f"notification {n['id']} (image_result of {n['data'].get('id_task')})",
            "DELETE /notifications/{id} once the event is processed",
            "still not deleted after wait()",
            str(DELETE_AFTER_PROCESSING),
        )
        for n in notifications
        if n["name"] == "image_result" and not n.get("deleted") and n["data"].get("id_task") in job_ids
    ]


# --- the server's state: credits, notifications, results --------------------------------------------


@check
def credits_conserved(account: Json, *, start: float, charged: float) -> list[Finding]:
    """Balance = start - the prices of completed variations; the mock's own ``charged_credits`` agrees."""
    found = []
    who = f"account {account.get('token')!r}"
    if abs(account["credits"] - (start - charged)) > 1e-9:
        found.append(
            Finding(
                "credits_conserved",
                who,
                f"credits = {start:g} - {charged:g} = {start - charged:g}",
                f"credits = {account['credits']:g}",
                str(CREDITS_PROVENANCE),
            )
        )
    if abs(account.get("charged_credits", charged) - charged) > 1e-9:
        found.append(
            Finding(
                "credits_conserved",
                who,
                f"charged_credits = {charged:g}",
                f"charged_credits = {account['charged_credits']:g}",
                str(CREDITS_PROVENANCE),
            )
        )
    return found


@check
def reservations_settled(account: Json, *, reserved: float) -> list[Finding]:
    """In-progress credits equal the prices of running variations: never negative, zero when idle."""
    held = account["in_progress_credits"]
    if held >= 0 and abs(held - reserved) <= 1e-9:
        return []
    return [
        Finding(
            "reservations_settled",
            f"account {account.get('token')!r}",
            f"in_progress_credits = {reserved:g} (prices of variations still running)",
            f"in_progress_credits = {held:g}",
            spec_of("insufficient_credits"),
        )
    ]


def _key(item: Json) -> tuple[Any, Any, Any]:
    return item.get("job_id", item.get("id_task")), item.get("image_index"), item.get("group_index")


def _image_results(notifications: Iterable[Json]) -> list[Json]:
    return [n["data"] for n in notifications if n["name"] == "image_result"]


@check
def one_notification_per_variation(results: Sequence[Json], notifications: Iterable[Json]) -> list[Finding]:
    """Each completed or failed variation has exactly one ``image_result``; a running one has none."""
    counts = Counter(_key(d) for d in _image_results(notifications))
    found = []
    for item in results:
        want, got = (1 if item["status"] in FINAL_STATUSES else 0), counts.pop(_key(item), 0)
        if got != want:
            found.append(
                Finding(
                    "one_notification_per_variation",
                    f"variation {_key(item)} ({item['status']})",
                    f"{want} image_result notification(s)",
                    f"{got}",
                    str(ONE_EVENT_PER_IMAGE),
                )
            )
    jobs = {_key(r)[0] for r in results}
    found.extend(
        Finding(
            "one_notification_per_variation",
            f"image_result for {key}",
            "a matching result",
            f"{n} notification(s) for a variation GET /results does not list",
            str(ONE_EVENT_PER_IMAGE),
        )
        for key, n in counts.items()
        if key[0] in jobs
    )
    return found


def output_link(item: Json) -> str | None:
    """The full-size URL of a result item or of an ``image_result``'s data, whichever was given."""
    output = item.get("output")
    return output.get("full_size") if isinstance(output, Mapping) else item.get("output_link")


@check
def results_agree_with_notifications(results: Sequence[Json], notifications: Iterable[Json]) -> list[Finding]:
    """A variation's ``image_result`` and its result item give the same status and output URL."""
    events = {_key(d): d for d in _image_results(notifications)}
    found = []
    for item in results:
        event = events.get(_key(item))
        if event is None:
            continue
        theirs, ours = (event["status"], output_link(event)), (item["status"], output_link(item))
        if theirs != ours:
            found.append(
                Finding(
                    "results_agree_with_notifications",
                    f"variation {_key(item)}",
                    f"image_result says {theirs}",
                    f"GET /results says {ours}",
                    str(ONE_EVENT_PER_IMAGE),
                )
            )
    return found


@check
def results_conform(body: object) -> list[Finding]:
    """A ``GET /jobs/{id}/results`` body matches the documented ``JobResults`` shape."""
    validator = Draft202012Validator(resolved("JobResults"))
    return [
        Finding(
            "results_conform",
            "GET /jobs/{job_id}/results",
            "a body of the JobResults shape",
            f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message}",
            str(STANDARD_RESULT),
        )
        for e in validator.iter_errors(body)
    ]


@check
def rejected_as_documented(sent: str, status: int, body: object, code: str) -> list[Finding]:
    """The answer has the catalogue status of ``code`` and names it in the body's top-level ``code``."""
    spec = CATALOGUE[code]
    got = body.get("code") if isinstance(body, Mapping) else None
    if status == spec.status and got == code:
        return []
    return [
        Finding(
            "rejected_as_documented",
            sent,
            f"{spec.status} with code {code!r}",
            f"{status} with code {got!r}: {short(body)}",
            str(spec.provenance),
        )
    ]


@check
def dimensions_delivered(results: Sequence[Json], request: Json) -> list[Finding]:
    """Every result of the generation has the size the request asks for (``output_mode``, ``aspect_ratio``, ...)."""
    want = output_size(dict(request))
    return [
        Finding(
            "dimensions_delivered",
            f"variation {_key(item)} of {short(dict(request))}",
            f"{want[0]}x{want[1]}",
            f"{item.get('width')}x{item.get('height')}",
            str(DIMENSIONS),
        )
        for item in results
        if (item.get("width"), item.get("height")) != want
    ]


# --- a client's answers -------------------------------------------------------------------------------


@check
def surfaced_status(call: Call, status: int) -> list[Finding]:
    """On a 4xx the client raised an exception whose ``status_code`` is the HTTP status."""
    if call.error is not None and call.status_code == status:
        return []
    code = next((c for c, s in CATALOGUE.items() if s.status == status), "")
    return [
        Finding(
            "surfaced_status", call.what, f"an exception with status_code == {status}", call.outcome(), spec_of(code)
        )
    ]


def _final_items(returned: object) -> list[Json] | None:
    if (
        isinstance(returned, Sequence)
        and not isinstance(returned, str | bytes)
        and all(isinstance(i, Mapping) for i in returned)
    ):
        return list(returned)
    return None


def _compare_item(call: Call, mine: Json, theirs: Json) -> list[Finding]:
    found = []
    if mine.get("status") not in FINAL_STATUSES:
        found.append(
            Finding(
                "waited_for_final_results",
                call.what,
                "every returned result completed or failed",
                f"variation {mine.get('group_index')} returned with status {mine.get('status')!r}",
                str(STATUS_IS_NOT_READINESS),
            )
        )
    elif (mine.get("status"), output_link(mine)) != (theirs["status"], output_link(theirs)):
        found.append(
            Finding(
                "waited_for_final_results",
                call.what,
                f"variation {theirs['group_index']}: {theirs['status']} {output_link(theirs)}",
                f"{mine.get('status')} {output_link(mine)}",
                str(LATEST_GENERATION),
            )
        )
    return found


@check
def waited_for_final_results(call: Call, expected: Sequence[Json]) -> list[Finding]:
    """``wait`` returned one final result per variation of the generation it started last, as the server has it."""
    if not call.returned:
        return [
            Finding(
                "waited_for_final_results",
                call.what,
                "the final results of the last generation",
                call.outcome(),
                str(TRACK_RESULTS),
            )
        ]
    items = _final_items(call.value)
    if items is None:
        return [
            Finding(
                "waited_for_final_results", call.what, "a list of result dicts", call.outcome(), str(LATEST_GENERATION)
            )
        ]
    by_key = {(i.get("image_index", _default_index(expected)), i.get("group_index")): i for i in items}
    want = {(t["image_index"], t["group_index"]): t for t in expected}
    if set(by_key) != set(want) or len(items) != len(expected):
        return [
            Finding(
                "waited_for_final_results",
                call.what,
                f"results for (image_index, group_index) {sorted(want)}",
                f"results for {sorted(map(_sortable, by_key))} ({len(items)} items)",
                str(LATEST_GENERATION),
            )
        ]
    return [f for key, theirs in want.items() for f in _compare_item(call, by_key[key], theirs)]


@check
def failures_surfaced(call: Call, expected: Sequence[Json]) -> list[Finding]:
    """Each failed variation came back from ``wait`` as failed, with the server's ``error_message``."""
    items = _final_items(call.value) if call.returned else None
    by_group = {i.get("group_index"): i for i in items or ()}
    found = []
    for theirs in (t for t in expected if t["status"] == "failed"):
        mine = by_group.get(theirs["group_index"]) or {}
        got = (mine.get("status"), mine.get("error_message"))
        if got != ("failed", theirs["error_message"]):
            found.append(
                Finding(
                    "failures_surfaced",
                    call.what,
                    f"variation {theirs['group_index']}: failed, error_message {theirs['error_message']!r}",
                    f"{got[0]}, error_message {short(got[1])}" if mine else call.outcome(),
                    str(FAILED_VARIATION),
                )
            )
    return found


def _default_index(expected: Sequence[Json]) -> Any:
    """The image_index assumed for returned items that omit it (the expected generation's)."""
    return expected[0]["image_index"] if expected else None


def _sortable(key: tuple[Any, Any]) -> tuple[str, str]:
    return str(key[0]), str(key[1])


def _verdict(verify: Callable[[str, bytes, str], Any], secret: str, body: bytes, header: str) -> Any:
    try:
        return verify(secret, body, header)
    except Exception as exc:  # a verifier that raises on bad input still did not accept it
        return exc


@check
def webhook_signature_verified(
    verify: Callable[[str, bytes, str], Any], secret: str, body: bytes, header: str
) -> list[Finding]:
    """``verify_webhook`` accepts a real delivery and rejects a tampered body, header or secret."""
    tampered_body = body.replace(b"}", b" }", 1) if b"}" in body else body + b" "
    flipped = header[:-1] + ("0" if header[-1:] != "0" else "1")
    cases = [
        ("the real delivery", secret, body, header, True),
        ("a tampered body", secret, tampered_body, header, False),
        ("a tampered signature", secret, body, flipped, False),
        ("another secret", secret + "x", body, header, False),
        ("a missing signature", secret, body, "", False),
    ]
    found = []
    for label, key, raw, sig, accept in cases:
        verdict = _verdict(verify, key, raw, sig)
        if (verdict is True) != accept:
            found.append(
                Finding(
                    "webhook_signature_verified",
                    f"verify_webhook(...) on {label}",
                    "True" if accept else "False (reject it)",
                    short(repr(verdict)),
                    str(SIGNATURE),
                )
            )
    return found
