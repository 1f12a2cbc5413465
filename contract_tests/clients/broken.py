"""Deliberately broken clients, each one plausible mistake away from the reference httpx client.

They exist to prove the suite can fail: ``tests/contract`` runs the suite on each and expects it
to report the mistake. None of them is special-cased by the suite; the scenarios only check
documented behaviour, and each mistake breaks some of it.
"""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from contract_tests.clients.reference.errors import PiktidError
from contract_tests.clients.reference.httpx_sync import PiktidClient, checked, latest_generation

HOUSE_IDENTITY = "default-free-house"


class StatusPoller(PiktidClient):
    """Waits until ``GET /jobs/{id}/status`` says completed (it always does), then reads the results."""

    def wait(self, job_id: str, timeout: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while checked(self._api.get(f"/jobs/{job_id}/status"))["status"] != "completed":
            if time.monotonic() > deadline:
                raise TimeoutError(job_id)
            time.sleep(0.05)
        return latest_generation(self.results(job_id))


class Ignores429(PiktidClient):
    """Handles the 4xx it knows (400-404) and reads any other answer as a success."""

    def generate(self, request: dict[str, Any]) -> str:
        response = self._api.post("/edit-chat", json=request)
        if response.status_code in (400, 401, 402, 403, 404):
            raise PiktidError(response.status_code, response.json())
        return str(response.json()["job_id"])


class BestOfN(PiktidClient):
    """Asks for one variation more than requested, to throw the worst away (5 when 4 are asked)."""

    def generate(self, request: dict[str, Any]) -> str:
        wanted = request.get("num_variations") or 1
        return super().generate({**request, "num_variations": wanted + 1})


class HouseIdentity(PiktidClient):
    """Adds the brand's house identity to every request that names identities (3 when 2 are given)."""

    def generate(self, request: dict[str, Any]) -> str:
        codes = request.get("identity_codes")
        return super().generate({**request, "identity_codes": [*codes, HOUSE_IDENTITY]} if codes else request)


class KnownFieldsOnly(PiktidClient):
    """Forwards only the fields its request model was written for: ``output_mode``, ``aspect_ratio``,
    ``width``/``height`` and ``model`` are silently dropped on the way to the wire."""

    FIELDS = ("prompt", "image_ids", "identity_codes", "size", "num_variations", "conversation_id")

    def generate(self, request: dict[str, Any]) -> str:
        return super().generate({k: v for k, v in request.items() if k in self.FIELDS})


class NeverDeletes(PiktidClient):
    """Collects ``image_result`` events for the job until it has one per variation; never deletes them."""

    def generate(self, request: dict[str, Any]) -> str:
        self._expected = request.get("num_variations") or 1
        return super().generate(request)

    def wait(self, job_id: str, timeout: float = 60) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        with self._api.stream("GET", "/notifications/events", params={"id_task": job_id}, timeout=timeout) as response:
            for line in response.iter_lines():
                if line.startswith("data: ") and line != "data: {}":
                    note = json.loads(line[6:])
                    if note["name"] == "image_result":
                        events.append(note["data"])
                if len(events) >= self._expected:
                    return events
        raise TimeoutError(job_id)


class DocsSSE(PiktidClient):
    """Waits with the docs' SSE snippet as printed (it reads ``notification["name"]`` of every frame)."""

    def wait(self, job_id: str, timeout: float = 60) -> list[dict[str, Any]]:
        headers = {"Authorization": self._api.headers["Authorization"]}
        with requests.get(
            str(self._api.base_url).rstrip("/") + "/notifications/events", headers=headers, stream=True, timeout=timeout
        ) as response:
            response.raise_for_status()
            for raw in response.iter_lines(decode_unicode=True):
                raw_line = raw.decode() if isinstance(raw, bytes) else raw
                if not raw_line or raw_line.startswith(":"):
                    continue
                if not raw_line.startswith("data: "):
                    continue
                notification = json.loads(raw_line[6:])
                if notification["name"] != "image_result":
                    continue
                data = notification.get("data", {})
                if data.get("id_task") != job_id:
                    continue
                status = data.get("status")
                if status == "completed":
                    return [data]
                if status == "failed":
                    raise RuntimeError(data.get("error_message", "Generation failed"))
        raise TimeoutError(job_id)


class SkipsSignature(PiktidClient):
    """Trusts every webhook delivery: the signature check was "temporarily" disabled."""

    def verify_webhook(self, secret: str, body: bytes, header: str) -> bool:
        return True


BROKEN: dict[str, type[PiktidClient]] = {
    cls.__name__: cls
    for cls in (
        StatusPoller,
        Ignores429,
        BestOfN,
        HouseIdentity,
        KnownFieldsOnly,
        NeverDeletes,
        DocsSSE,
        SkipsSignature,
    )
}
"""Name -> class. Each class is its own factory: ``--piktid-client=contract_tests.clients.broken:DocsSSE``."""
