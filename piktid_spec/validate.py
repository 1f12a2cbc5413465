"""``validate_edit_chat``: every 4xx decision of ``POST /edit-chat`` that needs no server state.

The validator never raises: whatever it is given (None, a list, nested junk, objects that are not
JSON at all) it answers a list of ``Violation``. An empty list means the service accepts it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from piktid_spec._provenance import Provenance
from piktid_spec.catalogue import CATALOGUE, Severity
from piktid_spec.params import EDIT_CHAT, MAX_CUSTOM_RATIO, Param
from piktid_spec.plans import OUTPUT_CUSTOM_DIMENSIONS, Account

INPUT_FIELDS = ("prompt", "image_ids", "identity_codes")
"""A request needs at least one of these (documented: see ``missing_input``)."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule. ``status`` is 400 or 403; a ``"warning"`` is accepted unless strict."""

    status: int
    code: str
    field: str | None
    message: str
    severity: Severity
    provenance: Provenance

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def as_detail(self) -> dict[str, Any]:
        """The entry of the v2 400 body's ``detail`` list."""
        return {"field": self.field, "message": self.message, "position": "body", "code": self.code}

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.as_detail(),
            "status": self.status,
            "severity": self.severity,
            "provenance": {"kind": self.provenance.kind, "text": self.provenance.text},
        }


def violation(code: str, field: str | None, message: str | None = None) -> Violation:
    spec = CATALOGUE[code]
    text = message or spec.message
    if field and not text.startswith(field):
        text = f"{field}: {text}"
    return Violation(spec.status, code, field, text, spec.severity, spec.provenance)


def _as_int(p: Param, value: Any, out: list[Violation]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        out.append(violation("invalid_type", p.name, "Wrong type: integer expected."))
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            out.append(violation("invalid_type", p.name, "Wrong type: integer expected."))
            return None
        out.append(violation("float_for_integer", p.name))
        value = int(value)
    return int(value)


def _check_int(p: Param, value: Any, out: list[Violation]) -> int | None:
    number = _as_int(p, value, out)
    if number is None:
        return None
    if (p.minimum is not None and number < p.minimum) or (p.maximum is not None and number > p.maximum):
        out.append(violation(p.range_code or "invalid_parameter", p.name))
        return None
    if p.multiple_of and number % p.multiple_of:
        out.append(violation(p.multiple_code or "invalid_parameter", p.name))
        return None
    return number


def _check_string(p: Param, value: Any, out: list[Violation]) -> str | None:
    if not isinstance(value, str):
        out.append(violation("invalid_type", p.name, "Wrong type: string expected."))
        return None
    if value == "":
        out.append(violation("empty_value", p.name))
        return None
    if p.enum and value not in p.enum:
        out.append(violation(p.enum_code or "invalid_parameter", p.name))
        return None
    return value


def _check_list(p: Param, value: Any, out: list[Violation]) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        out.append(violation("invalid_type", p.name, "Wrong type: list of strings expected."))
        return None
    if not value:
        out.append(violation("empty_value", p.name))
        return None
    if not all(isinstance(item, str) for item in value):
        out.append(violation("invalid_type", p.name, "Wrong type: every item must be a string."))
        return None
    if not all(value):
        out.append(violation(p.items_code or "invalid_parameter", p.name))
        return None
    if p.max_items is not None and len(value) > p.max_items:
        out.append(violation(p.max_items_code or "invalid_parameter", p.name))
        return None
    return tuple(value)


_CHECKERS = {"integer": _check_int, "string": _check_string, "string[]": _check_list}


def read_params(payload: dict[Any, Any]) -> tuple[dict[str, Any], list[Violation]]:
    """Each declared field's usable value (absent, null, empty or invalid -> missing) and the violations."""
    usable: dict[str, Any] = {}
    out: list[Violation] = []
    for p in EDIT_CHAT.params:
        value = payload.get(p.name)
        if value is None:
            continue
        checked = _CHECKERS[p.type](p, value, out)
        if checked is not None:
            usable[p.name] = checked
    return usable, out


Reader = Callable[[Any], Any]
"""A compiled check of one field: its usable value, or ``_SLOW`` when the interpreted checker must judge it."""
_SLOW: Any = object()


def _compile_param(p: Param) -> Reader:
    """The accepting path of ``_CHECKERS[p.type]`` for ``p``, as one closure; anything else defers to the walk.

    It accepts exactly what the interpreted checker accepts without a violation (exact JSON types only:
    a float for an integer, a subclass or a bad value goes the slow way and gets its violations there).
    """
    if p.type == "string":
        allowed = frozenset(p.enum) if p.enum else None
        if allowed is None:
            return lambda v: v if type(v) is str and v else _SLOW
        return lambda v: v if type(v) is str and v in allowed else _SLOW
    if p.type == "integer":
        low = -math.inf if p.minimum is None else p.minimum
        high = math.inf if p.maximum is None else p.maximum
        step = p.multiple_of or 1
        return lambda v: v if type(v) is int and low <= v <= high and not v % step else _SLOW
    most = math.inf if p.max_items is None else p.max_items

    def read_list(v: Any) -> Any:
        if type(v) is list and v and len(v) <= most and all(type(item) is str and item for item in v):
            return tuple(v)
        return _SLOW

    return read_list


_READERS: dict[str, Reader] = {p.name: _compile_param(p) for p in EDIT_CHAT.params}


def _read_fast(payload: dict[Any, Any]) -> dict[str, Any] | None:
    """``read_params`` for a payload with no unknown field and no broken field rule, compiled from the table;
    None when there is any (the interpreted walk then finds every violation and its message). It walks the
    payload's fields, not the table's (a body names a few of them); ``usable`` is then in the payload's
    order, the same values."""
    usable: dict[str, Any] = {}
    for name, value in payload.items():
        read = _READERS.get(name)
        if read is None:  # an unknown field
            return None
        if value is None:
            continue
        checked = read(value)
        if checked is _SLOW:
            return None
        usable[name] = checked
    return usable


def read_usable(payload: dict[Any, Any]) -> dict[str, Any]:
    """Each declared field's usable value (as ``read_params``), by the compiled path when it applies."""
    fast = _read_fast(payload)
    return read_params(payload)[0] if fast is None else fast


def _unknown_fields(payload: dict[Any, Any]) -> list[Violation]:
    names = set(EDIT_CHAT.names)
    return [
        violation("unknown_field", key if isinstance(key, str) else f"<{type(key).__name__} key>")
        for key in payload
        if key not in names
    ]


def _given(value: object) -> bool:
    """Present and not blank: null, "" and [] count as absent (see ``empty_value``)."""
    return value is not None and not (isinstance(value, str | list) and len(value) == 0)


def _has_input(payload: dict[Any, Any]) -> bool:
    for name in INPUT_FIELDS:  # noqa: SIM110  (a loop: any() over a generator costs more, on every request)
        if _given(payload.get(name)):
            return True
    return False


_DEFAULT_MODE = EDIT_CHAT.param("output_mode").default
_DEFAULT_SIZE = EDIT_CHAT.param("size").default


def _mode_rules(payload: dict[Any, Any], usable: dict[str, Any], out: list[Violation]) -> None:
    if "output_mode" in payload and payload["output_mode"] is not None and "output_mode" not in usable:
        return
    mode = usable.get("output_mode", _DEFAULT_MODE)
    has_ratio = _given(payload.get("aspect_ratio"))
    if mode == "ratio" and not has_ratio:
        out.append(violation("aspect_ratio_missing", "aspect_ratio"))
    if mode != "ratio" and has_ratio:
        out.append(violation("aspect_ratio_ignored", "aspect_ratio"))
    width, height = payload.get("width"), payload.get("height")
    if mode != "custom":
        if width is not None:
            out.append(violation("dimensions_ignored", "width"))
        if height is not None:
            out.append(violation("dimensions_ignored", "height"))
        return
    dims = [name for name, value in (("width", width), ("height", height)) if value is not None]
    if len(dims) < 2:
        missing = next(name for name in ("width", "height") if name not in dims)
        out.append(violation("custom_dimensions_missing", missing))
    elif "width" in usable and "height" in usable:
        w, h = usable["width"], usable["height"]
        if max(w, h) > MAX_CUSTOM_RATIO * min(w, h):
            out.append(violation("custom_ratio_out_of_range", "width"))


def _plan_rules(payload: dict[Any, Any], usable: dict[str, Any], account: Account, out: list[Violation]) -> None:
    """Plan gates on what will really run: an unusable size is already an error, never re-judged as 2K."""
    size = usable.get("size", _DEFAULT_SIZE)
    size_given_but_unusable = payload.get("size") is not None and "size" not in usable
    if not size_given_but_unusable and size not in account.sizes:
        out.append(
            violation(
                "size_not_in_plan",
                "size",
                f"size: {size} needs a paid plan (the {account.plan} plan allows {', '.join(sorted(account.sizes))}).",
            )
        )
    if usable.get("output_mode") == "custom" and not account.entitled(OUTPUT_CUSTOM_DIMENSIONS):
        out.append(violation("custom_dimensions_not_entitled", "output_mode"))


def validate_edit_chat(payload: object, *, account: Account | None = None) -> list[Violation]:
    """All violations of ``payload``; structural rules always, plan rules (403) when ``account`` is given.

    Errors come first in table order, then warnings. Never raises.
    """
    return validate_and_read(payload, account=account)[0]


def validate_and_read(payload: object, *, account: Account | None = None) -> tuple[list[Violation], dict[str, Any]]:
    """``validate_edit_chat`` and each declared field's usable value (``read_usable``; empty for a body that
    is not an object), read once: ``EditChatRequest.from_payload`` takes both, so a server validating and
    then reading a body walks it once."""
    if not isinstance(payload, dict):
        return [violation("invalid_body", None)], {}
    fast = _read_fast(payload)
    if fast is None:
        out = _unknown_fields(payload)
        usable, checked = read_params(payload)
        out.extend(checked)
    else:  # no unknown field, every field valid: what the walk would find, found in one compiled pass
        out, usable = [], fast
    if not _has_input(payload):
        out.append(violation("missing_input", None))
    _mode_rules(payload, usable, out)
    if account is not None:
        _plan_rules(payload, usable, account, out)
    if len(out) < 2:
        return out, usable
    return sorted(out, key=lambda v: (not v.is_error, v.status)), usable


def rejection(violations: Iterable[Violation], *, strict: bool = False) -> tuple[int, list[Violation]] | None:
    """The status and violations a request is rejected with, or None when it is accepted.

    400 wins over 403 (the request is read before the plan is checked). In strict mode warnings
    reject like errors, with 400.
    """
    blocking = [v for v in violations if v.is_error or strict]
    if not blocking:
        return None
    status = min(v.status for v in blocking)
    return status, [v for v in blocking if v.status == status]
