"""The one exception the reference clients raise for an API error."""

from __future__ import annotations

from typing import Any


class PiktidError(Exception):
    """An HTTP error answer: ``status_code`` and the v2 error body (``{"error", "code", ...}``)."""

    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code = status_code
        self.body = body
        message = body.get("error") if isinstance(body, dict) else None
        super().__init__(f"{status_code}: {message or body}")
