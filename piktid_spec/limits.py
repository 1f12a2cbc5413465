"""Numeric limits of the service, each with its provenance; the mock's settings default to these."""

from __future__ import annotations

from dataclasses import dataclass

from piktid_spec._provenance import Provenance, documented, inferred


@dataclass(frozen=True, slots=True)
class Limit:
    """A numeric limit of the service: its value, unit and provenance."""

    value: float
    unit: str
    provenance: Provenance


LIMITS: dict[str, Limit] = {
    "edit_chat_per_minute": Limit(
        15, "requests/min/user", documented("429 Rate limit reached (15 requests per minute per user).")
    ),
    "rate_window": Limit(60, "s", documented("15 requests per minute per user")),
    "upload_url_ttl": Limit(
        900, "s", inferred("the page says only 'valid for a limited time'; S3 pre-signed URLs commonly last 15 minutes")
    ),
    "upload_max_bytes": Limit(
        25 * 1024 * 1024, "bytes", inferred("no size is documented; 25 MB keeps a 4K PNG and refuses accidents")
    ),
    "request_max_bytes": Limit(1024 * 1024, "bytes", inferred("JSON bodies are small; 1 MiB refuses junk early")),
    "backfill_horizon": Limit(
        600, "s", documented("each notification not yet deleted and at most 10 minutes old, oldest first")
    ),
    "keepalive": Limit(15, "s", documented(":keepalive comment lines about every 15 s")),
    "identity_per_page_max": Limit(100, "items", documented("per_page 1..100")),
    "identity_max_bytes": Limit(10 * 1024 * 1024, "bytes", inferred("no size is documented for identity images")),
}
"""Name -> ``Limit`` of every documented or inferred limit (rate limits, upload sizes, TTLs...)."""
