"""The webhook guard (issue #16): one attempt is bounded in time and reply size and never reaches ``/_mock``.

Real receivers on loopback: raw sockets in a thread for replies no well-behaved server sends (a
status line dripped byte by byte, a 300 MB body, a redirect), and the live mock itself as the
target a hostile webhook URL aims at.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from events_support import DEADLINE, TOKEN, api, put_webhook, wait_settled, wait_until

from mock_server.testing import LiveServer
from mock_server.webhook_send import MAX_REPLY_BYTES, is_control_target

Reply = Callable[[socket.socket], None]


class RawReceiver:
    """Accepts connections on 127.0.0.1, reads one request head and body, then lets ``reply`` write anything."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.finished = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, rest = data.partition(b"\r\n\r\n")
            length = next(
                int(v) for k, _, v in (h.partition(b":") for h in head.split(b"\r\n")) if k.lower() == b"content-length"
            )
            while len(rest) < length:
                rest += conn.recv(65536)
            with contextlib.suppress(OSError):
                self.reply(conn)
        self.finished.set()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def raw_receiver() -> Iterator[Callable[[Reply], RawReceiver]]:
    made: list[RawReceiver] = []

    def make(reply: Reply) -> RawReceiver:
        made.append(RawReceiver(reply))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def ping(server: LiveServer, url: str) -> dict:
    """PUT /webhooks (which sends a ``ping``); the ping's delivery once its first attempt settled."""
    put_webhook(server, TOKEN, url)
    return wait_settled(server, "ping", 1)[-1]


def test_a_receiver_dripping_its_status_line_is_cut_at_the_timeout(
    make_server: Callable[..., LiveServer], raw_receiver: Callable[[Reply], RawReceiver]
) -> None:
    """Each byte comes well within the timeout, so only a bound on the whole attempt can end it."""

    def drip(conn: socket.socket) -> None:
        for byte in b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-Padding: " + b"." * 200 + b"\r\n\r\n":
            conn.sendall(bytes([byte]))
            time.sleep(0.02)

    server = make_server(webhook_timeout=0.5)
    delivery = ping(server, raw_receiver(drip).url)
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None and attempt["error"].startswith("TimeoutError"), attempt
    assert delivery["status"] == "pending"


def test_a_300_mb_reply_is_read_only_up_to_the_cap(
    server: LiveServer, raw_receiver: Callable[[Reply], RawReceiver]
) -> None:
    sent = [0]

    def huge(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 300000000\r\n\r\n")
        chunk = b"\0" * (1 << 20)
        while sent[0] < 300_000_000:
            conn.sendall(chunk)
            sent[0] += len(chunk)

    receiver = raw_receiver(huge)
    delivery = ping(server, receiver.url)
    assert delivery["attempts"][0]["status_code"] == 200 and delivery["status"] == "delivered"
    assert receiver.finished.wait(DEADLINE), "the mock never closed the connection"
    assert sent[0] < 32 * (1 << 20), f"{sent[0]} bytes were sent before the mock hung up (cap {MAX_REPLY_BYTES})"


def test_a_redirect_is_not_followed(server: LiveServer, raw_receiver: Callable[[Reply], RawReceiver]) -> None:
    def redirect(conn: socket.socket) -> None:
        location = f"{server.url}/_mock/reset"
        conn.sendall(f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode())

    server.control.set_account("tok-bystander", credits=7)
    delivery = ping(server, raw_receiver(redirect).url)
    assert delivery["attempts"][0]["status_code"] == 307
    assert server.control.account("tok-bystander") is not None, "the redirect reached /_mock/reset"
    assert api(server, "GET", "/webhooks", TOKEN).json()["last_response_status"] == 307


@pytest.mark.parametrize(
    "path", ["/_mock/reset", "/%5Fmock/reset", "/%255fmock/reset", "/x/../_mock/reset", "//_mock/reset", "/_MOCK/reset"]
)
def test_a_webhook_aimed_at_the_control_api_is_never_sent(server: LiveServer, path: str) -> None:
    """The live mock itself is the target: a delivery would wipe every user's state."""
    server.control.set_account("tok-bystander", credits=7)
    delivery = ping(server, server.url + path)
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None and attempt["error"].startswith("BlockedTarget"), attempt
    assert server.control.account("tok-bystander") is not None
    assert [e["path"] for e in server.control.journal() if e["path"].lower().endswith("reset")] == []


def test_a_webhook_on_the_mocks_own_api_is_still_delivered(server: LiveServer) -> None:
    """Only ``/_mock`` is off limits: the API paths answer as they would to anyone (here a 401)."""
    delivery = ping(server, server.url.replace("127.0.0.1", "localhost") + "/upload")
    assert delivery["attempts"][0]["status_code"] == 401
    wait_until(lambda: any(e["path"] == "/upload" for e in server.control.journal()), what="the POST /upload")


@pytest.mark.parametrize(
    ("url", "blocked"),
    [
        ("http://h/_mock", True),
        ("http://h/api/_mock/journal?x=1", True),
        ("http://h/%5f%6Dock/reset", True),
        ("http://h/a\\_mock/reset", True),
        ("http://h/webhook", False),
        ("http://h/my_mock/reset", False),
        ("http://h/_mockery", False),
        ("http://h/hook?next=/_mock/reset", False),
    ],
)
def test_which_urls_count_as_the_control_api(url: str, blocked: bool) -> None:
    assert is_control_target(url) is blocked
