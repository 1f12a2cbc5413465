"""``WebhookReceiver``: a real local HTTP endpoint that records webhook deliveries, for tests.

A stdlib ``ThreadingHTTPServer`` on a free loopback port, in a daemon thread: no event loop to
share with the code under test, and each POST is answered in its own thread, so an answer that
blocks (a receiver that hangs) blocks only that delivery. The port is bound at construction but
listens only from ``start()``: until then connections are refused, like a receiver that is down.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from mock_server.testing._wait import WAIT_TIMEOUT

HOST = "127.0.0.1"
PATH = "/webhook"
"""The path of ``WebhookReceiver.url``; a POST to any other path is recorded all the same."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One POST the receiver got: what was sent, and the status it answered."""

    path: str
    headers: dict[str, str]
    """Header names in lower case (``delivery.headers["x-webhook-event"]``)."""
    body: bytes
    """The raw body, byte for byte: what a signature is computed over."""
    status: int = 0
    """The status the receiver answered (0 while ``answers`` is still choosing it)."""

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)

    @property
    def event(self) -> str:
        """The ``X-Webhook-Event`` header (empty when absent)."""
        return self.headers.get("x-webhook-event", "")


Answers = Sequence[int] | Callable[[Delivery], int]
"""The status of each successive delivery (the last one repeats), or a function choosing it."""


class WebhookReceiver:
    """``with WebhookReceiver(answers=[500, 204]) as hooks: ... hooks.next().json()``.

    ``answers`` gives the status of each successive delivery, the last one repeating (default: 204
    always); a callable gets each ``Delivery`` and returns its status (it may block, e.g. on an
    ``Event``, to hold a delivery in flight). Every delivery is recorded before it is answered.
    """

    def __init__(self, answers: Answers = (204,), *, host: str = HOST) -> None:
        if not callable(answers) and not answers:
            raise ValueError("answers needs at least one status")
        self._answers = answers
        self._served = 0
        self._lock = threading.Lock()
        self._all: list[Delivery] = []
        self._unread: queue.Queue[Delivery] = queue.Queue()
        self._server = _Server((host, 0), _handler_for(self), bind_and_activate=False)
        self._server.server_bind()
        self._thread: threading.Thread | None = None
        self.host = host
        self.port: int = self._server.server_address[1]

    @property
    def url(self) -> str:
        """Where to send deliveries (``PUT /webhooks {"url": hooks.url}``); usable before ``start()``."""
        return f"http://{self.host}:{self.port}{PATH}"

    def start(self) -> WebhookReceiver:
        """Listen and answer from now on (``with`` does it for you)."""
        self._server.server_activate()
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and free the port (new connections are refused)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(WAIT_TIMEOUT)
        self._server.server_close()

    def next(self, timeout: float = WAIT_TIMEOUT) -> Delivery:
        """The oldest delivery not yet returned by ``next``, waiting up to ``timeout`` seconds for one.

        Raises ``TimeoutError`` (saying how many deliveries came in all) when none arrives in time.
        """
        try:
            return self._unread.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(
                f"no webhook delivery to {self.url} within {timeout:g} s ({len(self.all())} received in all)"
            ) from None

    def all(self) -> list[Delivery]:
        """Every delivery received so far, oldest first (``next`` does not consume them here)."""
        with self._lock:
            return list(self._all)

    def _receive(self, delivery: Delivery) -> int:
        status = self._choose(delivery)
        answered = replace(delivery, status=status)
        with self._lock:
            self._all.append(answered)
        self._unread.put(answered)
        return status

    def _choose(self, delivery: Delivery) -> int:
        if callable(self._answers):
            return self._answers(delivery)
        with self._lock:
            index = min(self._served, len(self._answers) - 1)
            self._served += 1
        return self._answers[index]

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    """Daemon handler threads (a held delivery never stalls exit) and a backlog for bursts of deliveries."""

    daemon_threads = True
    request_queue_size = 1024


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``receiver`` (``http.server`` wants a class, not an instance)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = receiver._receive(Delivery(self.path, headers, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a test's output is not the place for an access log."""

    return Handler
