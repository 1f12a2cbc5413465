"""Helpers of the events tests: real SSE clients and webhook receivers in threads, bounded waits.

Nothing here sleeps for a fixed time: every wait is on a condition with a deadline, and the
mock's clock is moved with ``control.advance``. An ``SseStream`` reads with httpx + httpx_sse
in its own thread and collects frames; ``close()`` shuts its socket down the way a killed client
would. A ``Receiver`` is the public ``WebhookReceiver`` answering from a per-event script; until
``start()`` its port is bound but refuses connections. ``wait_until`` is the public one too.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from httpx_sse import connect_sse

from mock_server.settings import Settings
from mock_server.testing import Delivery, LiveServer, WebhookReceiver, wait_until

T = TypeVar("T")
TOKEN = "tok-events-alice"
OTHER = "tok-events-bob"
LATENCY = 1.0
"""Seconds (of the manual clock) until a job's variation i completes, at (i + 1) x LATENCY."""
DEADLINE = 10.0
"""Upper bound of every wait: far above what a passing run needs, so only a real bug hits it."""


def events_settings(**changes: Any) -> Settings:
    """Manual clock, seeded, LATENCY per variation; webhook retries after 1, 2, 4, 8 s (5 attempts)."""
    return Settings(
        **{
            "clock": "manual",
            "seed": 5,
            "latency": LATENCY,
            "webhook_backoff": 1.0,
            "webhook_attempts": 5,
            "webhook_timeout": 2.0,
        }
        | changes
    )


class Collector(Generic[T]):
    """A thread-safe list that other threads append to and tests wait on."""

    def __init__(self) -> None:
        self._items: list[T] = []
        self._changed = threading.Condition()

    def add(self, item: T) -> None:
        with self._changed:
            self._items.append(item)
            self._changed.notify_all()

    def items(self) -> list[T]:
        with self._changed:
            return list(self._items)

    def wait_for(self, done: Callable[[list[T]], bool], what: str, timeout: float = DEADLINE) -> list[T]:
        """The items once ``done(items)`` holds; AssertionError (with the items) after ``timeout``."""
        with self._changed:
            if not self._changed.wait_for(lambda: done(self._items), timeout):
                raise AssertionError(f"timed out after {timeout} s waiting for {what}; got {self._items!r}")
            return list(self._items)


def run_in_thread(fn: Callable[[], T]) -> Future[T]:
    """Run ``fn`` in a daemon thread (a blocked one never stalls the test run's exit)."""
    future: Future[T] = Future()

    def target() -> None:
        try:
            future.set_result(fn())
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=target, daemon=True).start()
    return future


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api(server: LiveServer, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
    """One documented API call over real HTTP (no proxies from the environment)."""
    return httpx.request(
        method,
        server.url + path,
        headers=auth(token) | kwargs.pop("headers", {}),
        trust_env=False,
        timeout=DEADLINE,
        **kwargs,
    )


def start_job(
    server: LiveServer, token: str, *, variations: int = 1, scenario: str | None = None, **payload: Any
) -> str:
    """``POST /edit-chat`` that must be accepted; the job_id."""
    body = {"prompt": "a red bicycle", "size": "1K", "num_variations": variations} | payload
    headers = {"X-Mock-Scenario": scenario} if scenario else {}
    response = api(server, "POST", "/edit-chat", token, json=body, headers=headers)
    assert response.status_code == 202, response.text
    return response.json()["job_id"]


# --- SSE ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Frame:
    event: str
    """``message`` for a frame without an ``event:`` line (a live notification)."""
    data: str
    id: str

    @property
    def json(self) -> Any:
        return json.loads(self.data)

    @property
    def name(self) -> str | None:
        """The notification's name (None for ``backfill_complete``)."""
        return self.json.get("name")


class SseStream:
    """``GET /notifications/events`` read by httpx_sse in a thread; frames land in ``frames``."""

    def __init__(
        self,
        server: LiveServer,
        token: str | None,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str | bytes] | None = None,
    ) -> None:
        self.url = server.url + "/notifications/events"
        self.params = dict(params or {})
        self.headers = (auth(token) if token else {}) | dict(headers or {})
        self.frames: Collector[Frame] = Collector()
        self.status: int | None = None
        self.ended = threading.Event()
        self._socket: socket.socket | None = None
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def open(self) -> SseStream:
        """Connect and wait for ``backfill_complete``: from then on the stream gets every new event."""
        self._thread.start()
        if not self._connected.wait(DEADLINE):
            raise AssertionError("the SSE stream did not answer")
        assert self.status == 200, f"GET /notifications/events answered {self.status}"
        self.frames.wait_for(lambda fs: any(f.event == "backfill_complete" for f in fs), "backfill_complete")
        return self

    def _read(self) -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(DEADLINE, read=None), trust_env=False) as client,
                connect_sse(client, "GET", self.url, params=self.params, headers=self.headers) as source,
            ):
                self.status = source.response.status_code
                self._socket = source.response.extensions["network_stream"].get_extra_info("socket")
                self._connected.set()
                if self.status == 200:
                    for sse in source.iter_sse():
                        self.frames.add(Frame(sse.event, sse.data, sse.id))
        except httpx.HTTPError:
            pass  # the connection was shut down by close() or by the server
        finally:
            self._connected.set()
            self.ended.set()

    def close(self) -> None:
        """Drop the connection like a killed client (FIN from the socket), and wait for the reader."""
        if self._socket is not None and not self.ended.is_set():
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
        if self._thread.is_alive():
            self._thread.join(DEADLINE)

    def backfill(self) -> list[Frame]:
        return [f for f in self.frames.items() if f.event == "backfill"]

    def live(self) -> list[Frame]:
        return [f for f in self.frames.items() if f.event == "message"]

    def wait_live(self, done: Callable[[list[Frame]], bool], what: str) -> list[Frame]:
        """The live frames once ``done(live_frames)`` holds."""
        frames = self.frames.wait_for(lambda fs: done([f for f in fs if f.event == "message"]), what)
        return [f for f in frames if f.event == "message"]


def has_id(notification_id: int) -> Callable[[list[Frame]], bool]:
    """A ``wait_live`` condition: the frame of this notification has arrived."""
    return lambda frames: any(f.id == str(notification_id) for f in frames)


# --- webhook receivers ----------------------------------------------------------------------------
class Receiver(WebhookReceiver):
    """A ``WebhookReceiver`` answering ``script[event]`` in turn, then ``default``.

    Events named in ``hold`` wait (up to ``DEADLINE``) until ``release()`` before answering.
    """

    def __init__(
        self, script: dict[str, list[int]] | None = None, default: int = 204, hold: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(answers=self._answer)
        self.script = {event: list(statuses) for event, statuses in (script or {}).items()}
        self.default, self.hold = default, hold
        self.released = threading.Event()
        self._script_lock = threading.Lock()

    def _answer(self, delivery: Delivery) -> int:
        if delivery.event in self.hold:
            self.released.wait(DEADLINE)
        with self._script_lock:
            queue = self.script.get(delivery.event) or []
            return queue.pop(0) if queue else self.default

    def release(self) -> None:
        self.released.set()

    def of(self, event: str) -> list[Delivery]:
        return [r for r in self.all() if r.event == event]

    def wait(self, event: str, count: int) -> list[Delivery]:
        """The requests of ``event`` once there are at least ``count``."""

        def enough() -> list[Delivery] | None:
            found = self.of(event)
            return found if len(found) >= count else None

        return wait_until(enough, DEADLINE, what=f"{count} x {event}")


def deliveries(server: LiveServer, event: str | None = None, user: str | None = None) -> list[dict[str, Any]]:
    return [d for d in server.control.deliveries(user) if event is None or d["event"] == event]


def settled(delivery: dict[str, Any]) -> bool:
    """Its latest attempt has an outcome (a status code or an error)."""
    last = delivery["attempts"][-1] if delivery["attempts"] else None
    return last is not None and (last["status_code"] is not None or last["error"] is not None)


def wait_settled(server: LiveServer, event: str, count: int, attempts: int = 1) -> list[dict[str, Any]]:
    """The ``event`` deliveries once ``count`` exist and each has ``attempts`` settled attempts (or ended)."""

    def ready() -> list[dict[str, Any]] | None:
        found = deliveries(server, event)
        done = len(found) >= count and all(
            settled(d) and (len(d["attempts"]) >= attempts or d["status"] != "pending") for d in found
        )
        return found if done else None

    return wait_until(ready, DEADLINE, what=f"{count} settled {event} deliveries with {attempts} attempts")


def put_webhook(server: LiveServer, token: str, url: str) -> dict[str, Any]:
    response = api(server, "PUT", "/webhooks", token, json={"url": url})
    assert response.status_code == 200, response.text
    return response.json()


def events_of(received: Iterable[Delivery], event: str) -> list[Delivery]:
    return [r for r in received if r.event == event]
