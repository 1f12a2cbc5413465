"""HMAC signatures for pre-signed upload URLs and unguessable output links."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime


class Signer:
    def __init__(self, key: str) -> None:
        self._keyed = hmac.new(key.encode(), digestmod=hashlib.sha256)
        """Keyed once: each signature copies it instead of redoing the key schedule (hot path)."""

    def sign(self, *parts: object) -> str:
        return self.sign_text("\n".join(map(str, parts)))

    def sign_text(self, text: str) -> str:
        """The signature of parts already joined with newlines (what ``sign`` signs)."""
        mac = self._keyed.copy()
        mac.update(text.encode())
        return mac.hexdigest()

    def check(self, signature: str, *parts: object) -> bool:
        return hmac.compare_digest(self.sign(*parts).encode(), signature.encode())

    def token(self, *parts: object) -> str:
        """A short signature for links: 128 bits, not guessable."""
        return self.sign(*parts)[:32]

    def check_token(self, token: str, *parts: object) -> bool:
        return hmac.compare_digest(self.token(*parts).encode(), token.encode())


def iso(timestamp: float) -> str:
    """The API's date-time strings (ISO 8601, UTC)."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def amz_date(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_amz_date(value: str) -> float | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except (TypeError, ValueError):
        return None
