"""v2 pagination (``page``, ``per_page`` and the ``pagination`` object), as ``GET /identity`` answers it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from mock_server.backend.errors import ApiError
from mock_server.backend.numbers import ascii_int
from piktid_spec import LIMITS

T = TypeVar("T")
MAX_PAGE = 1_000_000
"""The largest ``page`` accepted (400 above): the OpenAPI document states the same maximum."""
MAX_PER_PAGE = int(LIMITS["identity_per_page_max"].value)
MAX_QUERY_DIGITS = 9
"""Longer numbers are out of every range; ``int()`` of thousands of digits raises instead of answering 400."""


def query_error(name: str, message: str) -> ApiError:
    """The 400 for a bad query parameter: ``invalid_parameter``, its detail naming the field (position "query")."""
    return ApiError(
        "invalid_parameter",
        f"{name}: {message}",
        detail=[{"field": name, "message": message, "position": "query", "code": "invalid_parameter"}],
    )


def query_int(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within ``low..high``; 400 (position "query") naming it otherwise."""
    raw = query.get(name)
    if raw is None:
        return default
    value = ascii_int(raw, MAX_QUERY_DIGITS)
    if value is None or not low <= value <= high:
        raise query_error(name, f"must be an integer from {low} to {high}")
    return value


def paginate(
    items: Sequence[T], query: Mapping[str, str], default_per_page: int = 20
) -> tuple[list[T], dict[str, Any]]:
    """The requested page of ``items`` and its ``pagination`` object (a page past the end is empty)."""
    page = query_int(query, "page", 1, 1, MAX_PAGE)
    per_page = query_int(query, "per_page", default_per_page, 1, MAX_PER_PAGE)
    total = len(items)
    pages = max(1, -(-total // per_page))
    chunk = list(items[(page - 1) * per_page : page * per_page])
    return chunk, {
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": pages,
        "has_next": page < pages,
        "has_prev": page > 1,
    }
