"""Prices: credits per output image by size, charged per completed variation."""

from __future__ import annotations

from piktid_spec._provenance import documented
from piktid_spec.request import EditChatRequest

CREDITS_PER_IMAGE: dict[str, int] = {"1K": 3, "2K": 5, "4K": 10}
"""Credits one image of each size costs (``credits_for`` multiplies by variations)."""
CREDITS_PROVENANCE = documented(
    "Total cost is the per-image cost times num_variations, charged on completion. Failed variations are not charged."
)


def credits_for(payload: object) -> int:
    """Credits a request costs if every variation completes (defaults applied).

    Raises ``ValueError`` when the payload has errors, since the service would not run it.
    """
    request = payload if isinstance(payload, EditChatRequest) else EditChatRequest.from_payload(payload)
    return CREDITS_PER_IMAGE[request.size] * request.num_variations
