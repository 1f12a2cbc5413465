"""Sign and verify webhook bodies exactly as the service (and the docs' ``verify_signature``) do.

``X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``. Use ``verify`` in your
receiver's tests; the mock signs every delivery with ``sign``.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["sign", "verify"]


def sign(secret: str, body: bytes) -> str:
    """The ``X-Webhook-Signature`` header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` is the signature of the raw ``body`` under ``secret`` (constant time).

    Any header, even a missing or non-ASCII one, gives False rather than an exception (the docs'
    ``verify_signature`` compares str and raises TypeError on non-ASCII input).
    """
    given = (header or "").encode("utf-8", "replace")
    return hmac.compare_digest(sign(secret, body).encode("ascii"), given)
