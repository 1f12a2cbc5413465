"""Fault rules: make the next N matching requests (or a seeded fraction of them) misbehave.

Kinds: ``status`` (answer that status with its documented body), ``latency`` (add real seconds
before answering), ``fail_variation`` / ``refusal`` (the variations of a matching /edit-chat fail
or are refused by the engine), ``drop_stream`` (an SSE stream closes after its next live frame),
``webhook_timeout`` (a delivery attempt times out). A rule matches on method, path prefix and user.
"""

from __future__ import annotations

import typing
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from mock_server.backend.errors import ApiError

if TYPE_CHECKING:
    from mock_server.store import Store

KINDS: tuple[str, ...] = ("status", "latency", "fail_variation", "refusal", "drop_stream", "webhook_timeout")
STATUS_CODES = {
    400: "invalid_parameter",
    401: "unauthorized",
    402: "insufficient_credits",
    403: "content_blocked",
    404: "not_found",
    409: "conflict",
    413: "body_too_large",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}
FAULT_KINDS = KINDS
"""The fault rule kinds the control API accepts (``kind`` of ``POST /_mock/faults``)."""
FAULT_STATUS_CODES = STATUS_CODES
"""Status an injected ``status`` rule may answer with -> the catalogue code of the body it sends."""


@dataclass(slots=True)
class FaultRule:
    id: int
    kind: str
    method: str | None = None
    path: str | None = None
    token: str | None = None
    status: int | None = None
    delay: float = 0.0
    times: int | None = 1
    """How many matching requests it still applies to; None: every one (see ``probability``)."""
    probability: float = 1.0
    hits: int = 0

    def matches(self, method: str | None, path: str | None, token: str | None) -> bool:
        return (
            (self.method is None or method is None or self.method.upper() == method.upper())
            and (self.path is None or path is None or path.startswith(self.path))
            and (self.token is None or self.token == token)
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _optional_text(value: object, name: str) -> None:
    if value is not None and not isinstance(value, str):
        raise ApiError("invalid_parameter", f"{name}: a string or null.", field=name)


def check_rule(
    kind: object, status: object, times: object, probability: object, delay: object = 0.0, **matchers: object
) -> None:
    """Every field of a rule, so a bad rule is a 400 when added, never a 500 on later requests."""
    for name, value in matchers.items():
        _optional_text(value, name)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 600:
        raise ApiError("invalid_parameter", "delay: seconds from 0 to 600.", field="delay")
    if kind not in KINDS:
        raise ApiError("invalid_parameter", f"kind: one of {', '.join(KINDS)}.", field="kind")
    if kind == "status" and status not in STATUS_CODES:
        raise ApiError("invalid_parameter", f"status: one of {sorted(STATUS_CODES)}.", field="status")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise ApiError("invalid_parameter", "times: a positive integer or null.", field="times")
    if not isinstance(probability, int | float) or not 0 <= probability <= 1:
        raise ApiError("invalid_parameter", "probability: a number from 0 to 1.", field="probability")


class Faults:
    """Rules over the store's fault rules: checked when added, consumed one use at a time."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        kind: str,
        *,
        method: object = None,
        path: object = None,
        token: object = None,
        status: object = None,
        delay: object = 0.0,
        times: object = 1,
        probability: object = 1.0,
    ) -> FaultRule:
        """A new rule from the caller's unchecked values (the control API's JSON), hence ``object``: a bad
        one is a 400 naming the field (compiled, a narrower parameter type would refuse it first, a 500)."""
        check_rule(kind, status, times, probability, delay, method=method, path=path, token=token)
        text = typing.cast(str | None, method), typing.cast(str | None, path), typing.cast(str | None, token)
        counts = typing.cast(int | None, status), typing.cast(int | None, times)
        seconds, share = float(typing.cast(float, delay)), float(typing.cast(float, probability))
        return self.store.add_fault(FaultRule(0, kind, *text, counts[0], seconds, counts[1], share))

    def take(
        self, kind: str, *, method: str | None = None, path: str | None = None, token: str | None = None
    ) -> FaultRule | None:
        """The first live rule of ``kind`` matching this request, consuming one of its ``times``."""
        return self.store.take_fault(kind, method, path, token)

    def drop_stream(self, token: str) -> bool:
        return self.take("drop_stream", token=token) is not None

    def outcome(self, token: str) -> str | None:
        """A forced variation outcome for this user's next /edit-chat, if a rule says so (one cheap
        ``has_faults`` when there is no rule at all, the usual case, instead of two ``take_fault``)."""
        if not self.store.has_faults():
            return None
        if self.take("fail_variation", method="POST", path="/edit-chat", token=token):
            return "failed"
        if self.take("refusal", method="POST", path="/edit-chat", token=token):
            return "refused"
        return None

    def rules(self) -> list[FaultRule]:
        return self.store.faults()

    def clear(self) -> None:
        self.store.clear_faults()


INJECTED_EXISTING_IDENTITY = "PiktidSummer"
"""An injected identity 409 names a shared identity every paid account can use, so a client that follows it works."""


def _conflict(path: str | None) -> ApiError:
    """A 409 shaped as the path's own: identity uploads name an identity, project creation a (null) project_id."""
    where = path or ""
    if where.startswith("/identity"):
        return ApiError("identity_exists", existing_identity_code=INJECTED_EXISTING_IDENTITY)
    if where.startswith("/project"):
        return ApiError("project_exists", project_id=None)
    return ApiError("conflict")


def fault_error(rule: FaultRule, credits: tuple[float, float] = (0.0, 0.0), *, path: str | None = None) -> ApiError:
    """The documented body of an injected status (a 400 has the v2 ``detail`` list, as validation errors do).

    ``credits`` is the user's (balance, in progress): an injected 402 reports them truthfully and asks
    for one more credit than is free, so the figures obey the documented 402 rule. ``path`` (the
    request's) shapes a 409: a null ``project_id`` sends a script to its ``GET /project`` fallback.
    """
    code = STATUS_CODES[rule.status or 500]
    if code == "conflict":
        return _conflict(path or rule.path)
    if code == "insufficient_credits":
        balance, in_progress = credits
        return ApiError(
            code,
            required_credits=float(max(0.0, balance - in_progress) + 1),
            in_progress_credits=float(in_progress),
            user_credits=float(balance),
        )
    if code == "rate_limited":
        return ApiError(code, headers={"Retry-After": "60"}, retry_after=60)
    if code == "invalid_parameter":
        return ApiError(
            code,
            "Invalid request",
            detail=[
                {
                    "field": None,
                    "message": "Invalid parameter (injected by a mock fault rule).",
                    "position": "body",
                    "code": code,
                }
            ],
        )
    return ApiError(code, f"{ApiError(code).message} (injected by a mock fault rule)")
