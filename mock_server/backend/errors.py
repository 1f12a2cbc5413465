"""``ApiError``: the one exception the backend raises; the HTTP layer renders it with ``error_body``."""

from __future__ import annotations

from typing import Any

from piktid_spec import CATALOGUE, Violation, error_body


class ApiError(Exception):
    """A catalogue entry plus what this occurrence adds (a message, detail entries, headers)."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        field: str | None = None,
        detail: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        violations: list[Violation] | None = None,
        **extra: Any,
    ) -> None:
        self.spec = CATALOGUE[code]
        self.code = code
        self.message = message or self.spec.message
        if field and detail is None and self.spec.status == 400:
            detail = [{"field": field, "message": self.message, "position": "body", "code": code}]
        self.detail = detail
        self.headers = headers or {}
        self.violations = violations or []
        self.extra = extra
        super().__init__(f"{code}: {self.message}")

    @property
    def status(self) -> int:
        return self.spec.status

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, detail=self.detail, **self.extra)

    @classmethod
    def from_violations(cls, status: int, violations: list[Violation]) -> ApiError:
        first = violations[0]
        message = "Invalid request" if status == 400 else first.message
        return cls(first.code, message, detail=[v.as_detail() for v in violations], violations=violations)
