"""What the spec says one ``POST /edit-chat`` must get, computed from ``piktid_spec`` alone.

The oracle never asks the mock: statuses come from the rule a draw broke (``CATALOGUE``), prices
from ``credits_for``, sizes from ``output_size``, and the order of decisions from the docs
(validation, then the content filter, then credits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mock_server.settings import Settings
from piktid_spec import CATALOGUE, CREDITS_PER_IMAGE, DEFAULT_ENGINE, EditChatRequest, output_size

OUTCOMES = ("completed", "failed", "refused")
"""Per-request outcomes the mock can be asked for (``X-Mock-Scenario``): ``refused`` is an engine refusal."""


@dataclass(frozen=True, slots=True)
class Draw:
    """One request to send: the payload (ids already bound), the account to send it as, the outcome."""

    payload: object
    plan: str
    credits: float
    outcome: str = "completed"
    code: str | None = None
    """The one rule the payload breaks (invalid draws), or None."""


@dataclass(frozen=True, slots=True)
class Expected:
    status: int
    code: str | None = None
    per_image: int = 0
    variations: int = 0
    size: tuple[int, int] | None = None
    statuses: tuple[str, ...] = ()
    model_used: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == 202

    @property
    def charged(self) -> int:
        """Credits charged once every variation is final: failed variations are not charged."""
        return self.per_image * self.statuses.count("completed")


def _blocked(request: EditChatRequest, settings: Settings) -> bool:
    prompt = (request.prompt or "").lower()
    return any(term.lower() in prompt for term in settings.blocklist)


def _refused(request: EditChatRequest, outcome: str, settings: Settings) -> bool:
    prompt = (request.prompt or "").lower()
    return outcome == "refused" or any(term.lower() in prompt for term in settings.refusal_terms)


def variation_outcome(request: EditChatRequest, outcome: str, settings: Settings) -> tuple[str, str | None]:
    """Final status and model_used of each variation.

    Documented: "auto runs the default engine with a safety fallback; specifying an engine disables
    the fallback", so on a refusal auto completes with another engine and an explicit model fails.
    """
    if outcome == "failed":
        return "failed", None
    if _refused(request, outcome, settings):
        return ("completed", settings.fallback_engine) if request.model == "auto" else ("failed", None)
    return "completed", DEFAULT_ENGINE if request.model == "auto" else request.model


def expect(draw: Draw, settings: Settings, input_size: tuple[int, int] | None) -> Expected:
    """The status (and, when accepted, the variations) the spec gives ``draw``."""
    if draw.code is not None and (CATALOGUE[draw.code].severity == "error" or settings.strict):
        return Expected(CATALOGUE[draw.code].status, draw.code)
    request = EditChatRequest.from_payload(draw.payload)
    if _blocked(request, settings):
        return Expected(403, "content_blocked")
    per_image = CREDITS_PER_IMAGE[request.size]
    if draw.credits < per_image * request.num_variations:
        return Expected(402, "insufficient_credits", per_image, request.num_variations)
    status, model = variation_outcome(request, draw.outcome, settings)
    return Expected(
        202,
        None,
        per_image,
        request.num_variations,
        output_size(request, input_size),
        (status,) * request.num_variations,
        model,
    )


def insufficient_body(expected: Expected, credits: float) -> dict[str, Any]:
    """The documented 402 fields: "required_credits, in_progress_credits, user_credits"."""
    return {
        "required_credits": float(expected.per_image * expected.variations),
        "in_progress_credits": 0.0,
        "user_credits": float(credits),
    }
