"""Webhook configuration and signed deliveries with retries on the mock's clock.

Each notification of a user with an active webhook becomes a ``Delivery``, signed with the
secret in force when it was created. An attempt runs as a background task (a slow or dead
receiver never delays a request); a non-2xx answer, a timeout or a refused connection schedules
the next attempt ``backoff x 2**(n-1)`` seconds later on the scheduler, up to ``attempts``.
Every attempt of one delivery carries the same ``X-Webhook-Delivery`` id, so receivers can drop
duplicates. ``DELETE /webhooks`` cancels the user's pending deliveries; after a ``reset`` the old
dispatcher's attempts in flight are cancelled and nothing it scheduled runs.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import ssl
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from mock_server.backend.errors import ApiError
from mock_server.backend.notifications import Notification
from mock_server.backend.signing import iso
from mock_server.webhook_send import send_attempt
from mock_server.webhooks import sign

if TYPE_CHECKING:
    from mock_server.backend.service import Backend

logger = logging.getLogger("mock_server.webhooks")


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every attempt: building one per client costs ~30 ms of event-loop time."""
    return httpx.create_ssl_context()


@dataclass(slots=True)
class WebhookConfig:
    id: str
    owner: str
    url: str
    secret: str
    created_at: float
    updated_at: float
    is_active: bool = True
    last_response_status: int | None = None
    last_response_at: float | None = None

    def as_json(self, *, with_secret: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "url": self.url,
            "is_active": self.is_active,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "last_response_status": self.last_response_status,
            "last_response_at": None if self.last_response_at is None else iso(self.last_response_at),
        }
        if with_secret:
            body["secret"] = self.secret
        return body


@dataclass(slots=True)
class Attempt:
    number: int
    at: float
    status_code: int | None = None
    error: str | None = None
    duration: float | None = None


@dataclass(slots=True)
class Delivery:
    id: str
    owner: str
    url: str
    secret: str
    event: str
    body: bytes
    notification_id: int | None
    created_at: float
    status: str = "pending"
    attempts: list[Attempt] = field(default_factory=list)

    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "User-Agent": "piktid-mock-webhooks",
            "X-Webhook-Signature": sign(self.secret, self.body),
            "X-Webhook-Event": self.event,
            "X-Webhook-Delivery": self.id,
            "X-Webhook-Attempt": str(len(self.attempts)),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "event": self.event,
            "notification_id": self.notification_id,
            "status": self.status,
            "created_at": self.created_at,
            "attempts": [
                {"number": a.number, "at": a.at, "status_code": a.status_code, "error": a.error, "duration": a.duration}
                for a in self.attempts
            ],
        }


def check_url(url: object) -> str:
    """An absolute http(s) URL that can be POSTed to; anything else is a 400 naming ``url`` (never a 500)."""
    if isinstance(url, str) and not any(c.isspace() for c in url):
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError):
            parsed = None
        if (
            parsed
            and parsed.scheme in ("http", "https")
            and parsed.host
            and (parsed.port is None or 0 < parsed.port < 65536)
        ):
            return url
    raise ApiError("invalid_parameter", "url: an absolute http(s) URL is required.", field="url")


class Webhooks:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.configs: dict[str, WebhookConfig] = {}
        self.deliveries: list[Delivery] = []
        self.tasks: set[asyncio.Task[None]] = set()

    # --- configuration -------------------------------------------------------------------------
    def put(self, owner: str, body: object) -> dict[str, Any]:
        """Create or update; a new secret every time; a ``ping`` delivery to the new URL."""
        url = check_url(body.get("url") if isinstance(body, dict) else None)
        now, ids = self.backend.clock.now(), self.backend.ids
        current = self.configs.get(owner)
        config = WebhookConfig(
            current.id if current else ids.new("wh"),
            owner,
            url,
            ids.secret(),
            current.created_at if current else now,
            now,
        )
        self.configs[owner] = config
        self._send_event(config, "ping", {"webhook_id": config.id, "url": url})
        return config.as_json(with_secret=True)

    def get(self, owner: str) -> WebhookConfig:
        config = self.configs.get(owner)
        if config is None:
            raise ApiError("webhook_not_found")
        return config

    def delete(self, owner: str) -> dict[str, Any]:
        """Remove the webhook; its pending retries are cancelled (the user asked for no more POSTs)."""
        config = self.get(owner)
        del self.configs[owner]
        for delivery in self.deliveries:
            if delivery.owner == owner and delivery.status == "pending":
                delivery.status = "cancelled"
        return {"deleted": True, "id": config.id}

    def test(self, owner: str) -> dict[str, Any]:
        delivery = self._send_event(self.get(owner), "test", {"message": "Test event from piktid-mock"})
        return {"sent": True, "delivery_id": delivery.id}

    # --- deliveries ----------------------------------------------------------------------------
    def on_notification(self, notification: Notification) -> None:
        config = self.configs.get(notification.owner)
        if config is not None and config.is_active:
            self._enqueue(config, notification.name, notification.as_json(), notification.id)

    def _send_event(self, config: WebhookConfig, name: str, data: dict[str, Any]) -> Delivery:
        body = {"id": self.backend.ids.number(), "name": name, "timestamp": self.backend.clock.now(), "data": data}
        return self._enqueue(config, name, body, None)

    def _enqueue(self, config: WebhookConfig, event: str, payload: dict[str, Any], nid: int | None) -> Delivery:
        body = json.dumps(payload, separators=(",", ":")).encode()
        delivery = Delivery(
            self.backend.ids.new("dlv"),
            config.owner,
            config.url,
            config.secret,
            event,
            body,
            nid,
            self.backend.clock.now(),
        )
        self.deliveries.append(delivery)
        self._attempt(delivery)
        return delivery

    def _attempt(self, delivery: Delivery) -> None:
        if delivery.status != "pending" or self.backend.webhooks is not self:
            return
        attempt = Attempt(len(delivery.attempts) + 1, self.backend.clock.now())
        delivery.attempts.append(attempt)
        try:
            task = asyncio.get_running_loop().create_task(self._send(delivery, attempt))
        except RuntimeError:
            attempt.error = "no event loop"
            return self._settle(delivery, attempt)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send(self, delivery: Delivery, attempt: Attempt) -> None:
        settings = self.backend.settings
        started = time.perf_counter()
        try:
            if self.backend.faults.take("webhook_timeout", token=delivery.owner):
                raise httpx.ReadTimeout("receiver timed out (injected by a mock fault rule)")
            attempt.status_code = await send_attempt(
                delivery.url, delivery.body, delivery.headers(), timeout=settings.webhook_timeout, verify=_tls()
            )
        except Exception as exc:  # a receiver can fail in any way; none may crash the server
            attempt.error = f"{type(exc).__name__}: {exc}"
        attempt.duration = round(time.perf_counter() - started, 4)
        self._settle(delivery, attempt)

    def _settle(self, delivery: Delivery, attempt: Attempt) -> None:
        config = self.configs.get(delivery.owner)
        if config is not None and attempt.status_code is not None:
            config.last_response_status, config.last_response_at = attempt.status_code, self.backend.clock.now()
        if delivery.status != "pending" or self.backend.webhooks is not self:
            return
        if attempt.status_code is not None and 200 <= attempt.status_code < 300:
            delivery.status = "delivered"
            return
        settings = self.backend.settings
        if attempt.number >= settings.webhook_attempts:
            delivery.status = "failed"
            logger.info("webhook delivery %s gave up after %d attempts", delivery.id, attempt.number)
            return
        delay = settings.webhook_backoff * 2 ** (attempt.number - 1)
        self.backend.scheduler.later(delay, lambda: self._attempt(delivery))

    def log(self, owner: str | None = None) -> list[dict[str, Any]]:
        return [d.as_json() for d in self.deliveries if owner is None or d.owner == owner]

    def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()
