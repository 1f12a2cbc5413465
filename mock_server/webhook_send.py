"""One webhook attempt, guarded: bounded in time and in reply size, and never aimed at the control API.

``send_attempt`` POSTs one signed body and returns the receiver's status code. What a caller may
rely on, whatever the receiver does:

- ``timeout`` bounds the *whole* attempt (connect, send, status line, headers and the capped
  reply), so a receiver that drips one byte at a time cannot hold it longer;
- at most ``max_reply_bytes`` of the reply body are read (raw bytes on the wire, so a compressed
  reply cannot expand), then the connection is closed;
- a URL whose path is under ``/_mock`` (in any spelling the mock's router would decode to it) is
  refused before any connection, on every host: an API user's webhook could otherwise reset, read
  or rewrite every user's state; redirects are never followed, so one cannot lead there either.

Failures raise: ``BlockedTarget``, ``TimeoutError``, or whatever httpx raises (``ConnectError``...).
"""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import unquote

import httpx

__all__ = ["MAX_REPLY_BYTES", "BlockedTarget", "is_control_target", "send_attempt"]

MAX_REPLY_BYTES = 64 * 1024
"""Reply bytes read at most: only the status counts, the body is read just so the receiver can finish."""

CONTROL_SEGMENT = "_mock"


class BlockedTarget(ValueError):
    """The URL points at the mock's control API; no connection was made."""


def is_control_target(url: str) -> bool:
    """Whether any path segment of ``url`` is ``_mock`` once percent-decoding is undone (repeatedly)."""
    path = httpx.URL(url).raw_path.decode("ascii", "replace").split("?", 1)[0]
    decoded = unquote(path)
    while decoded != path:
        path, decoded = decoded, unquote(decoded)
    return any(segment.lower() == CONTROL_SEGMENT for segment in path.replace("\\", "/").split("/"))


async def send_attempt(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    max_reply_bytes: int = MAX_REPLY_BYTES,
    verify: ssl.SSLContext | bool = True,
) -> int:
    """POST ``body`` to ``url`` once; the status code of the reply (3xx included: never followed)."""
    if is_control_target(url):
        raise BlockedTarget(f"{url} is under the mock's control API (/{CONTROL_SEGMENT}); not sent")
    try:
        async with asyncio.timeout(timeout):
            return await _exchange(url, body, headers, timeout, max_reply_bytes, verify)
    except TimeoutError:
        raise TimeoutError(f"no complete reply within {timeout:g} s (connect, send and reply)") from None


async def _exchange(
    url: str, body: bytes, headers: dict[str, str], timeout: float, cap: int, verify: ssl.SSLContext | bool
) -> int:
    async with (
        httpx.AsyncClient(timeout=timeout, verify=verify, follow_redirects=False) as client,
        client.stream("POST", url, content=body, headers=headers) as response,
    ):
        read = 0
        async for chunk in response.aiter_raw():
            read += len(chunk)
            if read >= cap:
                break
        return response.status_code
