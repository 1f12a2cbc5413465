"""Reading the dashboard's forms: bounded urlencoded bodies, and fields as the control API checks them."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from mock_server.backend.errors import ApiError
from mock_server.http.control import MAX_NUMBER
from mock_server.http.dashboard.markup import clean
from mock_server.http.parsing import backend_of, read_body

Form = dict[str, str]


async def read_form(request: Request) -> Form:
    """The first value of each field; bytes that are not UTF-8 are replaced, never an error."""
    raw = await read_body(request, backend_of(request).settings.request_max_bytes)
    pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
    form: Form = {}
    for name, value in pairs:
        form.setdefault(name, clean(value))
    return form


def text(form: Form, name: str) -> str | None:
    """A field's stripped text; None when absent or blank (the control API's "not given")."""
    value = form.get(name, "").strip()
    return value or None


def number(form: Form, name: str, *, low: float = 0, high: float = MAX_NUMBER) -> float | None:
    value = text(form, name)
    if value is None:
        return None
    try:
        parsed = float(value)
    except ValueError:
        parsed = float("nan")
    if not low <= parsed <= high:
        raise ApiError("invalid_parameter", f"{name}: a number from {low:g} to {high:g}.", field=name)
    return parsed


def integer(form: Form, name: str, *, low: int = 0) -> int | None:
    value = text(form, name)
    if value is None:
        return None
    if not (value.lstrip("-").isascii() and value.lstrip("-").isdigit()) or int(value) < low:
        raise ApiError("invalid_parameter", f"{name}: an integer from {low}.", field=name)
    return int(value)


def fault(form: Form) -> dict[str, Any]:
    """The fields of ``POST /_mock/faults`` from the add-rule form (blank: the control API's default)."""
    fields: dict[str, Any] = {name: text(form, name) for name in ("method", "path", "token")}
    fields["status"] = integer(form, "status", low=100)
    fields["delay"] = number(form, "delay", high=600) or 0.0
    fields["times"] = None if form.get("every") == "yes" else (integer(form, "times", low=1) or 1)
    probability = number(form, "probability", high=1)
    fields["probability"] = 1.0 if probability is None else probability
    return fields
