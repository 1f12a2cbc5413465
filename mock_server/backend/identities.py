"""Identities: platform defaults by tier (codes like ``default-pro-xxxxxxxx``), shared ones, and the user's own."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mock_server.backend.errors import ApiError
from mock_server.backend.ids import IdSource
from mock_server.backend.pagination import query_error, query_int
from mock_server.backend.signing import iso
from piktid_spec import PLANS

if TYPE_CHECKING:
    from mock_server.store import Store

TIER_ORDER = tuple(PLANS)
DEFAULT_NAMES = ("Ava", "Noah", "Mia")
"""Names of every tier's default identities, in the order their codes are drawn."""
SORT_KEYS = ("created_at", "name")
ORDERS = ("desc", "asc")
OWNERSHIPS = ("mine", "shared", "default")
DOCS_IDENTITY_CODE = "default-pro-xxxxxxxx"
"""The code the docs' own snippet sends: the pro tier's first default has it, so the snippet runs verbatim."""
SHARED_IDENTITIES = (("PiktidSummer", "Summer"), ("PiktidPremium", "Premium"))
"""(code, name) of the example identities PiktID's client READMEs use, shared with every paid account."""
SHARED_TIER = "paid"
SHARED_KEY = "shared"
"""Where the store's ``default_identities`` keeps the shared ones (not a tier name, so no tier's defaults clash)."""


@dataclass(slots=True)
class Identity:
    identity_code: str
    name: str
    tier: str | None
    owner: str | None
    created_at: float
    tag: str | None = None
    original_filename: str | None = None
    image: bytes | None = None
    shared: bool = False
    digest: str | None = None
    """sha256 of ``image``: what "the same face" means in the mock is the same bytes."""

    @property
    def visibility(self) -> str:
        if self.shared:
            return "shared"
        return "default" if self.owner is None else "private"

    def as_json(self, *, locked: bool = False) -> dict[str, Any]:
        return {
            "identity_code": self.identity_code,
            "name": self.name,
            "preprocessing_status": "completed",
            "visibility": self.visibility,
            "link": None,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.created_at),
            "locked": locked,
            "tier": self.tier,
            "groups": [],
            "original_filename": self.original_filename,
            "created_by": self.owner and "you",
            "image_description": None,
            "tag": self.tag,
        }


def _tiers_up_to(plan: str) -> tuple[str, ...]:
    return TIER_ORDER[: TIER_ORDER.index(plan) + 1]


class Identities:
    """Rules over the store's identities: who may see and use which, and the v2 listing query."""

    def __init__(self, store: Store, ids: IdSource) -> None:
        self.store, self.ids = store, ids

    def draw_defaults(self, created_at: float) -> None:
        """The platform's identities: the shared ones (under ``SHARED_KEY``) and every tier's defaults,
        drawn from the id source (so a seed reproduces them)."""
        defaults = {
            tier: [
                Identity(self._default_code(tier, index), f"{name} ({tier})", tier, None, created_at)
                for index, name in enumerate(DEFAULT_NAMES)
            ]
            for tier in TIER_ORDER
        }
        shared = [Identity(code, name, SHARED_TIER, None, created_at, shared=True) for code, name in SHARED_IDENTITIES]
        self.store.put_default_identities({SHARED_KEY: shared, **defaults})

    def _default_code(self, tier: str, index: int) -> str:
        drawn = f"default-{tier}-{self.ids.hex(4)}"
        return DOCS_IDENTITY_CODE if (tier, index) == ("pro", 0) else drawn

    def create(
        self,
        owner: str,
        name: str | None,
        now: float,
        *,
        tag: str | None = None,
        filename: str | None = None,
        image: bytes | None = None,
    ) -> Identity:
        """A user's own identity; without a name it is "Identity N", counting only that user's."""
        if not (name and name.strip()):
            name = f"Identity {len(self.store.own_identities(owner)) + 1}"
        digest = hashlib.sha256(image).hexdigest() if image is not None else None
        identity = Identity(self.ids.hex(6), name, None, owner, now, tag, filename, image, digest=digest)
        self.store.put_identity(identity)
        return identity

    def own(self, owner: str) -> list[Identity]:
        return self.store.own_identities(owner)

    def same_image(self, owner: str, image: bytes) -> Identity | None:
        """The user's own identity made from exactly these bytes, if any (the mock's face matching)."""
        digest = hashlib.sha256(image).hexdigest()
        return next((i for i in self.store.own_identities(owner) if i.digest == digest), None)

    def visible(self, owner: str, plan: str, *, include_locked: bool = False) -> list[tuple[Identity, bool]]:
        """(identity, locked) pairs: the user's own, the shared ones, the defaults of its tier (and above, locked)."""
        mine = [(i, False) for i in self.store.own_identities(owner)]
        unlocked = _tiers_up_to(plan)
        stored = self.store.default_identities()
        shared = [
            (i, i.tier not in unlocked) for i in stored.get(SHARED_KEY, ()) if include_locked or i.tier in unlocked
        ]
        defaults = [
            (i, tier not in unlocked) for tier in TIER_ORDER for i in stored[tier] if include_locked or tier in unlocked
        ]
        return mine + shared + defaults

    def get(self, owner: str, plan: str, code: str) -> Identity:
        """An identity the user may use; 404 for unknown, another user's, or a locked tier's."""
        for identity, locked in self.visible(owner, plan):
            if identity.identity_code == code and not locked:
                return identity
        raise ApiError("identity_not_found", f"identity {code!r} not found.")

    def listing(self, owner: str, plan: str, query: Mapping[str, str]) -> dict[str, Any]:
        q = parse_listing_query(query)
        items = self.visible(owner, plan, include_locked=q["include_locked"])
        if q["ownership"]:
            items = [(i, lk) for i, lk in items if _ownership(i) == q["ownership"]]
        if q["search"]:
            items = [(i, lk) for i, lk in items if q["search"].lower() in i.name.lower()]
        items.sort(key=lambda pair: getattr(pair[0], q["sort_by"]), reverse=q["order"] == "desc")
        page, per_page, total = q["page"], q["per_page"], len(items)
        pages = max(1, -(-total // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        return {
            "identities": [i.as_json(locked=lk) for i, lk in chunk],
            "pagination": {
                "page": page,
                "per_page": per_page,
                "total": total,
                "pages": pages,
                "has_next": page < pages,
                "has_prev": page > 1,
            },
        }


def _ownership(identity: Identity) -> str:
    if identity.shared:
        return "shared"
    return "default" if identity.owner is None else "mine"


def _choice(query: Mapping[str, str], name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    raw = query.get(name, default)
    if raw is not None and raw not in choices:
        raise query_error(name, f"must be one of {', '.join(choices)}")
    return raw


def parse_listing_query(query: Mapping[str, str]) -> dict[str, Any]:
    """The v2 identity-list query, with 400 (position "query") naming the bad parameter."""
    locked = _choice(query, "include_locked", ("true", "false", "1", "0"), "false")
    return {
        "page": query_int(query, "page", 1, 1, 1_000_000),
        "per_page": query_int(query, "per_page", 20, 1, 100),
        "search": query.get("search", ""),
        "sort_by": _choice(query, "sort_by", SORT_KEYS, "created_at"),
        "order": _choice(query, "order", ORDERS, "desc"),
        "ownership": _choice(query, "ownership", OWNERSHIPS, None),
        "include_locked": locked in ("true", "1"),
    }
