"""The docs' own ``requests`` snippets, made into an adapter with as few changes as possible.

``upload`` is the docs' ``upload(path, filename)``; ``generate`` is the "Starting a job" call; ``wait``
is the "Retrieving results" call in a loop, stopping when each result of the latest generation
has its final status ("poll GET /jobs/{job_id}/results and check each result's own status").
``verify_webhook`` is the docs' ``verify_signature``. Added, because the snippets have none: raising
on an error status, and a pause between polls.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from pathlib import Path
from typing import Any

import requests

from contract_tests.clients.reference.errors import PiktidError

POLL_INTERVAL = 0.05


class DocsFlowClient:
    """The docs' ``requests`` snippets as a client adapter (upload, generate, poll results, verify webhooks)."""

    def __init__(self, api_url: str, access_token: str) -> None:
        self.api_url = api_url
        self.access_token = access_token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.access_token}

    def upload(self, path: str | os.PathLike[str]) -> str:
        filename = Path(path).name
        r = requests.post(
            self.api_url + "/upload",
            headers=self._headers(),
            json={"project_name": "image-playground", "filename": filename},
        ).json()
        with open(path, "rb") as f:
            requests.put(r["upload_url"], headers={"Content-Type": r["content_type"]}, data=f.read())
        return r["file_id"]

    def generate(self, request: dict[str, Any]) -> str:
        response = requests.post(self.api_url + "/edit-chat", headers=self._headers(), json=request)
        if response.status_code >= 400:
            raise PiktidError(response.status_code, response.json())
        return response.json()["job_id"]

    def wait(self, job_id: str, timeout: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = requests.get(
                self.api_url + f"/jobs/{job_id}/results",
                headers=self._headers(),
            ).json()
            last = max(result["image_index"] for result in response["results"])
            latest = [result for result in response["results"] if result["image_index"] == last]
            if all(result["status"] in ("completed", "failed") for result in latest):
                return latest
            time.sleep(POLL_INTERVAL)
        raise TimeoutError(f"job {job_id} not final after {timeout} s")

    def verify_webhook(self, secret: str, body: bytes, header: str) -> bool:
        return verify_signature(secret, body, header)


def factory(base_url: str, token: str) -> DocsFlowClient:
    return DocsFlowClient(base_url, token)


def verify_signature(secret: str, body: bytes, signature_header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature_header)
