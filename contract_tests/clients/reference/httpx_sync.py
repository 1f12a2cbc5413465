"""A small idiomatic httpx client: uploads, ``/edit-chat``, and waiting on ``image_result`` events.

It follows the docs where they are easy to get wrong: the pre-signed PUT goes out without the API
token; ``wait`` listens to the notifications stream (filtered on the job), deletes each event it
has processed so a reconnect does not replay it, and returns once every variation of the latest
generation is final according to ``GET /jobs/{id}/results`` (``/status`` is no readiness signal).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import connect_sse

from contract_tests.clients.reference.errors import PiktidError

FINAL = ("completed", "failed")
STREAM_READ_TIMEOUT = 20.0
"""Longer than the 15 s keepalive interval: a silent stream this long is a dead one."""


def latest_generation(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The results of the highest ``image_index``: the generation started last."""
    results = body.get("results") or []
    last = max((r["image_index"] for r in results), default=None)
    return [r for r in results if r["image_index"] == last]


def all_final(results: list[dict[str, Any]]) -> bool:
    return bool(results) and all(r["status"] in FINAL for r in results)


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    """``X-Webhook-Signature`` is ``sha256=`` + hex HMAC-SHA256 of the raw body; compare in constant time."""
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header or "")


def checked(response: httpx.Response) -> Any:
    """The JSON body of a 2xx answer (None if empty); ``PiktidError`` (with ``status_code``) otherwise."""
    if response.is_success:
        return response.json() if response.content else None
    try:
        body = response.json()
    except ValueError:
        body = response.text
    raise PiktidError(response.status_code, body)


class PiktidClient:
    """A blocking client on ``httpx.Client``: upload, generate, wait on the SSE stream with results as fallback."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0) -> None:
        self._api = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
        self._storage = httpx.Client(timeout=timeout)

    def upload(self, path: str | os.PathLike[str]) -> str:
        file = Path(path)
        ticket = checked(self._api.post("/upload", json={"filename": file.name}))
        checked(
            self._storage.put(
                ticket["upload_url"], content=file.read_bytes(), headers={"Content-Type": ticket["content_type"]}
            )
        )
        return str(ticket["file_id"])

    def generate(self, request: dict[str, Any]) -> str:
        return str(checked(self._api.post("/edit-chat", json=request))["job_id"])

    def results(self, job_id: str) -> dict[str, Any]:
        return checked(self._api.get(f"/jobs/{job_id}/results"))

    def wait(self, job_id: str, timeout: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        seen: set[tuple[int, int]] = set()
        while time.monotonic() < deadline:
            done = self._watch(job_id, deadline, seen)
            if done is not None:
                return done
        raise TimeoutError(f"job {job_id} not final after {timeout} s")

    def _ready(self, job_id: str, seen: set[tuple[int, int]]) -> list[dict[str, Any]] | None:
        """The latest generation, once final and each of its events processed (so none is replayed)."""
        latest = latest_generation(self.results(job_id))
        handled = all((r["image_index"], r["group_index"]) in seen for r in latest)
        return latest if all_final(latest) and handled else None

    def _watch(self, job_id: str, deadline: float, seen: set[tuple[int, int]]) -> list[dict[str, Any]] | None:
        """One connection to the stream; None when it ends before the generation is final."""
        params = {"id_task": job_id, "name_list": "image_result"}
        read = min(STREAM_READ_TIMEOUT, max(0.1, deadline - time.monotonic()))
        with connect_sse(
            self._api,
            "GET",
            "/notifications/events",
            params=params,
            timeout=httpx.Timeout(self._api.timeout.connect, read=read),
        ) as source:
            for event in source.iter_sse():
                if event.event != "backfill_complete":
                    seen.add(self._consume(event.json()))
                done = self._ready(job_id, seen)
                if done is not None or time.monotonic() >= deadline:
                    return done
        return None

    def _consume(self, notification: dict[str, Any]) -> tuple[int, int]:
        """Processed: delete it so it is not replayed on reconnect (404: already gone)."""
        response = self._api.delete(f"/notifications/{notification['id']}")
        if response.status_code != 404:
            checked(response)
        data = notification.get("data") or {}
        return data.get("image_index", -1), data.get("group_index", -1)

    def verify_webhook(self, secret: str, body: bytes, header: str) -> bool:
        return verify_signature(secret, body, header)

    def close(self) -> None:
        self._api.close()
        self._storage.close()


def factory(base_url: str, token: str) -> PiktidClient:
    return PiktidClient(base_url, token)
