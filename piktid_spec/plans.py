"""Plans and entitlements: what an account may ask for."""

from __future__ import annotations

from dataclasses import dataclass, field

from piktid_spec._provenance import Provenance, documented, inferred

OUTPUT_CUSTOM_DIMENSIONS = "OUTPUT_CUSTOM_DIMENSIONS"
"""The entitlement that allows ``output_mode='custom'`` (explicit width and height)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """A subscription plan: the sizes it may request and its entitlements, with provenance."""

    name: str
    sizes: frozenset[str]
    entitlements: frozenset[str]
    provenance: Provenance


PLANS: dict[str, Plan] = {
    "free": Plan("free", frozenset({"1K"}), frozenset(), documented("2K and 4K require a paid plan.")),
    "paid": Plan("paid", frozenset({"1K", "2K", "4K"}), frozenset(), documented("2K and 4K require a paid plan.")),
    "pro": Plan(
        "pro",
        frozenset({"1K", "2K", "4K"}),
        frozenset({OUTPUT_CUSTOM_DIMENSIONS}),
        documented("Requires the custom-dimensions entitlement (Pro)."),
    ),
}
"""Plan name -> ``Plan``, as the service enforces them."""

ENTITLEMENTS_PROVENANCE = inferred(
    "the v2 notes name the account policy OUTPUT_CUSTOM_DIMENSIONS; Pro grants it, any account may be given it"
)


@dataclass(frozen=True, slots=True)
class Account:
    """What validation needs to know of a user. ``entitlements=None`` means the plan's own."""

    plan: str = "pro"
    credits: float = 1000
    entitlements: frozenset[str] | None = field(default=None)

    def __post_init__(self) -> None:
        if self.plan not in PLANS:
            raise ValueError(f"unknown plan {self.plan!r}: use one of {', '.join(PLANS)}")
        if self.entitlements is None:
            object.__setattr__(self, "entitlements", PLANS[self.plan].entitlements)
        else:
            object.__setattr__(self, "entitlements", frozenset(self.entitlements))

    @property
    def sizes(self) -> frozenset[str]:
        return PLANS[self.plan].sizes

    def entitled(self, name: str) -> bool:
        return name in (self.entitlements or frozenset())
