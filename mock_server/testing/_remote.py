"""``RemoteControl``: ``MockControl``'s methods over the HTTP control API of a running mock.

For a mock in another process or on another host (``piktid-mock serve``, docker-compose): the same
calls a test makes in-process, sent to ``{base_url}/_mock/``. A refused call raises
``ControlError`` with the status and the mock's error body.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from mock_server.backend import fault_fields

TIMEOUT = 30.0


class ControlError(RuntimeError):
    """The control API refused a call (bad input, wrong control token, control API off, ...)."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        detail = body.get("message") if isinstance(body, dict) else None
        code = body.get("code") if isinstance(body, dict) else None
        super().__init__(f"piktid-mock refused {method} {path}: {status} {code or ''} {detail or body!r}".strip())
        self.status, self.body = status, body


class RemoteControl:
    """``RemoteControl("http://127.0.0.1:8000", control_token=None)``: drive a live mock's control API."""

    def __init__(self, base_url: str, control_token: str | None = None, *, timeout: float = TIMEOUT) -> None:
        headers = {"X-Mock-Control-Token": control_token} if control_token is not None else {}
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=f"{self.base_url}/_mock", headers=headers, timeout=timeout)

    def _call(self, method: str, path: str, *, json: Any = None, params: dict[str, str] | None = None) -> Any:
        response = self._client.request(method, path, json=json, params=params)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            raise ControlError(method, f"/_mock{path}", response.status_code, body)
        return body

    def reset(self, seed: int | None = None) -> None:
        """Empty all state; ``seed`` None: the seed the mock was started with."""
        self._call("POST", "/reset", json={} if seed is None else {"seed": seed})

    def set_account(
        self,
        token: str,
        *,
        plan: str | None = None,
        credits: float | None = None,
        entitlements: list[str] | None = None,
        identities: list[str] | None = None,
    ) -> dict[str, Any]:
        given = {"plan": plan, "credits": credits, "entitlements": entitlements, "identities": identities}
        view: dict[str, Any] = self._call(
            "PUT", f"/accounts/{token}", json={k: v for k, v in given.items() if v is not None}
        )
        return view

    def account(self, token: str) -> dict[str, Any] | None:
        try:
            view: dict[str, Any] = self._call("GET", f"/accounts/{token}")
        except ControlError as exc:
            if exc.status == 404:
                return None
            raise
        return view

    def advance(self, seconds: float) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("POST", "/clock/advance", json={"seconds": seconds})
        return answer

    def set_clock(self, mode: str) -> None:
        if mode not in ("real", "manual"):
            raise ValueError(f"clock mode must be 'real' or 'manual', not {mode!r}")
        self._call("PUT", "/clock", json={"mode": mode})

    def now(self) -> float:
        return float(self._call("GET", "/clock")["now"])

    def journal(self, *, user: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"user": user, "path": path}.items() if v is not None}
        entries: list[dict[str, Any]] = self._call("GET", "/journal", params=params)
        return entries

    def fail_next(
        self,
        status: int | None = None,
        *,
        kind: str | None = None,
        path: str | None = "/edit-chat",
        method: str | None = None,
        token: str | None = None,
        times: int | None = 1,
        probability: float = 1.0,
        delay: float = 0.0,
    ) -> dict[str, Any]:
        fields = fault_fields(
            status,
            kind=kind,
            path=path,
            method=method,
            token=token,
            times=times,
            probability=probability,
            delay=delay,
        )
        rule: dict[str, Any] = self._call("POST", "/faults", json=fields)
        return rule

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def notifications(self, user: str | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self._call("GET", "/notifications", params={"user": user} if user else None)
        return items

    def deliveries(self, user: str | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self._call("GET", "/deliveries", params={"user": user} if user else None)
        return items

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RemoteControl:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()
