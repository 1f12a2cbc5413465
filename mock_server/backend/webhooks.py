"""Webhook configuration and signed deliveries with retries on the mock's clock (the state half).

Each notification of a user with an active webhook becomes a ``Delivery``, signed with the
secret in force when it was created. Its attempts are claimed here and made by the runtime
(``mock_server.runtime.delivery``, a background task: a slow or dead receiver never delays a
request); a non-2xx answer, a timeout or a refused connection schedules the next attempt
``backoff x 2**(n-1)`` seconds later, up to ``attempts``. Every attempt of one delivery carries the
same ``X-Webhook-Delivery`` id, so receivers can drop duplicates. ``DELETE /webhooks`` cancels the
user's pending deliveries, and a ``PUT /webhooks`` with a new URL those to any other URL; a config's
``last_response_*`` reflect only its own deliveries (signed with its secret, so a ``PUT`` starts
afresh). After a ``reset`` attempts in flight are cancelled and their reports ignored.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from mock_server.backend.attempts import Attempt
from mock_server.backend.clock import Clock, Scheduler
from mock_server.backend.errors import ApiError
from mock_server.backend.ids import IdSource
from mock_server.backend.notifications import Notification
from mock_server.backend.signing import iso
from mock_server.settings import Settings
from mock_server.webhooks import sign

if TYPE_CHECKING:
    from mock_server.store import Store

logger = logging.getLogger("mock_server.webhooks")


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

    def start_attempt(self, now: float) -> Attempt:
        """Append the next attempt, started at ``now`` (what a store's ``claim_attempt`` does to the record)."""
        attempt = Attempt(len(self.attempts) + 1, now)
        self.attempts.append(attempt)
        return attempt

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


WATCH_GRACE = 10.0
"""Seconds past an attempt's timeout before a shared store's watch calls it abandoned."""


class Webhooks:
    """Webhook configs and deliveries in the store, and the retry rule. It sends nothing itself:
    ``attempt`` claims an attempt and hands it to ``start`` (the backend, which emits it to the
    runtime); the runtime reports the outcome to ``settle``."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        ids: IdSource,
        settings: Settings,
        scheduler: Scheduler,
        start: Callable[[Delivery, Attempt], None],
    ) -> None:
        self.store, self.clock, self.ids, self.settings = store, clock, ids, settings
        self.scheduler, self.start = scheduler, start

    # --- configuration -------------------------------------------------------------------------
    def put(self, owner: str, body: object) -> dict[str, Any]:
        """Create or update; a new secret every time; pending retries to another URL are cancelled; a
        ``ping`` delivery to the new URL."""
        url = check_url(body.get("url") if isinstance(body, dict) else None)
        now = self.clock.now()
        current = self.store.get_webhook(owner)
        config = WebhookConfig(
            current.id if current else self.ids.new("wh"),
            owner,
            url,
            self.ids.secret(),
            current.created_at if current else now,
            now,
        )
        self.store.put_webhook(config)
        if current is not None and current.url != url:
            self._cancel_other_urls(owner, url)
        self._send_event(config, "ping", {"webhook_id": config.id, "url": url})
        return config.as_json(with_secret=True)

    def _cancel_other_urls(self, owner: str, url: str) -> None:
        for delivery in self.store.deliveries(owner):
            if delivery.status == "pending" and delivery.url != url:
                delivery.status = "cancelled"
                self.store.put_delivery(delivery)

    def get(self, owner: str) -> WebhookConfig:
        config = self.store.get_webhook(owner)
        if config is None:
            raise ApiError("webhook_not_found")
        return config

    def delete(self, owner: str) -> dict[str, Any]:
        """Remove the webhook; its pending retries are cancelled (the user asked for no more POSTs)."""
        config = self.get(owner)
        self.store.delete_webhook(owner)
        return {"deleted": True, "id": config.id}

    def test(self, owner: str) -> dict[str, Any]:
        delivery = self._send_event(self.get(owner), "test", {"message": "Test event from piktid-mock"})
        return {"sent": True, "delivery_id": delivery.id}

    # --- deliveries ----------------------------------------------------------------------------
    def on_notification(self, notification: Notification, config: WebhookConfig | None) -> None:
        """Deliver to ``config``, the owner's webhook config when the notification was appended."""
        if config is not None and config.is_active:
            self._enqueue(config, notification.name, notification.as_json(), notification.id)

    def _send_event(self, config: WebhookConfig, name: str, data: dict[str, Any]) -> Delivery:
        body = {"id": self.store.next_id(), "name": name, "timestamp": self.clock.now(), "data": data}
        return self._enqueue(config, name, body, None)

    def _enqueue(self, config: WebhookConfig, event: str, payload: dict[str, Any], nid: int | None) -> Delivery:
        body = json.dumps(payload, separators=(",", ":")).encode()
        delivery = Delivery(
            self.ids.new("dlv"), config.owner, config.url, config.secret, event, body, nid, self.clock.now()
        )
        self.store.put_delivery(delivery)
        self.attempt(delivery.id)
        return delivery

    def attempt(self, delivery_id: str) -> None:
        """The next attempt of a pending delivery (scheduled work of kind ``webhook_attempt``)."""
        attempt = self.store.claim_attempt(delivery_id, self.clock.now())
        delivery = self.store.get_delivery(delivery_id)
        if attempt is not None and delivery is not None:
            if self.store.shared:
                self._watch(delivery_id, attempt.number)
            self.start(delivery, attempt)

    def _watch(self, delivery_id: str, number: int) -> None:
        """On a shared store the process making an attempt may die with it: a watch, run by any process
        once the attempt should long have ended, settles it as abandoned so its retry still happens."""
        grace = self.settings.webhook_timeout + WATCH_GRACE
        deadline = repr(time.time() + grace)
        self.scheduler.later(grace, "webhook_watch", delivery_id, str(number), deadline)

    def watch(self, delivery_id: str, number: int, deadline: float) -> None:
        """The ``webhook_watch`` work: an attempt still unsettled past its wall-clock deadline is settled as
        abandoned (its retry follows the rule); one not yet past it (a manual clock moved fast) waits on."""
        delivery = self.store.get_delivery(delivery_id)
        if delivery is None or not 0 < number <= len(delivery.attempts) or delivery.attempts[number - 1].settled:
            return
        if time.time() < deadline:
            self.scheduler.later(1.0, "webhook_watch", delivery_id, str(number), repr(deadline))
            return
        self.settle(delivery_id, number, None, "abandoned: the process making the attempt stopped", None)

    def settle(
        self, delivery_id: str, number: int, status_code: int | None, error: str | None, duration: float | None
    ) -> None:
        """An attempt's outcome: delivered on 2xx, else a retry ``backoff x 2**(n-1)`` later, up to ``attempts``."""
        delivery = self.store.get_delivery(delivery_id)
        if delivery is None or not 0 < number <= len(delivery.attempts):
            return
        attempt = delivery.attempts[number - 1]
        if attempt.settled:
            return  # reported twice (a watch settled it as abandoned before a late report)
        attempt.status_code, attempt.error, attempt.duration = status_code, error, duration
        config = self.store.get_webhook(delivery.owner)
        if config is not None and status_code is not None and config.secret == delivery.secret:
            config.last_response_status, config.last_response_at = status_code, self.clock.now()
            self.store.put_webhook(config)
        if delivery.status == "pending":
            self._next(delivery, attempt)
        self.store.put_delivery(delivery)

    def _next(self, delivery: Delivery, attempt: Attempt) -> None:
        if attempt.status_code is not None and 200 <= attempt.status_code < 300:
            delivery.status = "delivered"
        elif attempt.number >= self.settings.webhook_attempts:
            delivery.status = "failed"
            logger.info("webhook delivery %s gave up after %d attempts", delivery.id, attempt.number)
        else:
            delay = self.settings.webhook_backoff * 2 ** (attempt.number - 1)
            self.scheduler.later(delay, "webhook_attempt", delivery.id)

    def log(self, owner: str | None = None) -> list[dict[str, Any]]:
        return [d.as_json() for d in self.store.deliveries(owner)]
