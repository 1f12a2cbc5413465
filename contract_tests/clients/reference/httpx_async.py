"""The async variant: ``httpx.AsyncClient``, waiting by polling ``GET /jobs/{id}/results``.

``SyncAdapter`` runs any async client on its own event-loop thread (an anyio blocking portal), so
an async client is checked by the same suite as a sync one.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio
import httpx
from anyio.from_thread import start_blocking_portal

from contract_tests.clients.reference.httpx_sync import all_final, checked, latest_generation, verify_signature

POLL_INTERVAL = 0.05


class AsyncPiktidClient:
    """An asyncio client on ``httpx.AsyncClient``: upload, generate, wait on results, verify webhooks."""

    def __init__(
        self, base_url: str, token: str, *, poll_interval: float = POLL_INTERVAL, timeout: float = 30.0
    ) -> None:
        self._api = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
        self._storage = httpx.AsyncClient(timeout=timeout)
        self._poll = poll_interval

    async def upload(self, path: str | os.PathLike[str]) -> str:
        file = Path(path)
        ticket = checked(await self._api.post("/upload", json={"filename": file.name}))
        checked(
            await self._storage.put(
                ticket["upload_url"],
                content=await anyio.Path(file).read_bytes(),
                headers={"Content-Type": ticket["content_type"]},
            )
        )
        return str(ticket["file_id"])

    async def generate(self, request: dict[str, Any]) -> str:
        return str(checked(await self._api.post("/edit-chat", json=request))["job_id"])

    async def wait(self, job_id: str, timeout: float = 60) -> list[dict[str, Any]]:
        """Poll the results until every variation of the latest generation is final."""
        with anyio.fail_after(timeout):
            while True:
                latest = latest_generation(checked(await self._api.get(f"/jobs/{job_id}/results")))
                if all_final(latest):
                    return latest
                await anyio.sleep(self._poll)

    def verify_webhook(self, secret: str, body: bytes, header: str) -> bool:
        return verify_signature(secret, body, header)

    async def aclose(self) -> None:
        await self._api.aclose()
        await self._storage.aclose()


class SyncAdapter:
    """The ``PiktidClient`` protocol over an async client, whose calls run on a private loop thread."""

    def __init__(self, client_factory: Any, *args: Any) -> None:
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(start_blocking_portal())
        self._client = self._portal.call(lambda: client_factory(*args))

    def upload(self, path: str | os.PathLike[str]) -> str:
        return self._portal.call(self._client.upload, path)

    def generate(self, request: dict[str, Any]) -> str:
        return self._portal.call(self._client.generate, request)

    def wait(self, job_id: str, timeout: float = 60) -> list[dict[str, Any]]:
        return self._portal.call(self._client.wait, job_id, timeout)

    def verify_webhook(self, secret: str, body: bytes, header: str) -> bool:
        return bool(self._client.verify_webhook(secret, body, header))

    def close(self) -> None:
        self._portal.call(self._client.aclose)
        self._stack.close()


def factory(base_url: str, token: str) -> SyncAdapter:
    return SyncAdapter(AsyncPiktidClient, base_url, token)
