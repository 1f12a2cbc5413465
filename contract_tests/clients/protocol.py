"""What a client adapter implements so the kit can drive it, and how a factory is named.

Wrap your client in an object with these methods, and a ``factory(base_url, token)`` that builds
it. Run ``pytest --pyargs contract_tests --piktid-client=your_package.module:factory``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class PiktidClient(Protocol):
    """The three calls every Image Playground client makes."""

    def upload(self, path: str | os.PathLike[str]) -> str:
        """Upload the image at ``path`` (POST /upload, then PUT the bytes); return its ``file_id``."""
        ...

    def generate(self, request: dict[str, Any]) -> str:
        """``POST /edit-chat`` with ``request`` as given; return the ``job_id``.

        On any 4xx raise an exception whose ``status_code`` attribute is the HTTP status (retrying
        a 429 first is fine, as long as it ends in a job_id or such an exception).
        """
        ...

    def wait(self, job_id: str, timeout: float = 60) -> list[dict[str, Any]]:
        """The results of the generation this client started last in ``job_id``, once all are final.

        Each item is a result of ``GET /jobs/{id}/results`` or the ``data`` of its ``image_result``
        notification: it names its ``group_index``, its ``status`` and its output URL.
        """
        ...


@runtime_checkable
class WebhookVerifier(Protocol):
    """Optional: how the client's webhook receiver checks ``X-Webhook-Signature``."""

    def verify_webhook(self, secret: str, body: bytes, header: str) -> bool: ...


ClientFactory = Callable[[str, str], Any]
"""``factory(base_url, token)`` -> a ``PiktidClient`` talking to ``base_url`` with ``token``."""


def close(client: object) -> None:
    """Call ``client.close()`` when the adapter has one (sessions, event-loop threads)."""
    closer = getattr(client, "close", None)
    if callable(closer):
        closer()
