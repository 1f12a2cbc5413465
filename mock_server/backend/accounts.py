"""Users: who a token is, its plan, credits and entitlements. Open mode creates users on first use."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mock_server.backend.errors import ApiError
from piktid_spec import PLANS, Account

if TYPE_CHECKING:
    from mock_server.store import Store


@dataclass(slots=True)
class User:
    """One account: its token, plan, balance, credits reserved by running variations and charged so far."""

    token: str
    plan: str
    credits: float
    entitlements: frozenset[str] | None = None
    in_progress: float = 0.0
    """Credits reserved by variations still running."""
    charged: float = 0.0
    """Credits charged since the user was created or last set (for conservation checks)."""
    version: str | None = field(default=None, compare=False, repr=False)
    """Names the written state of the token, plan and entitlements on a shared store (every write of
    them draws a new one); None where a record is never a kept copy (the memory store). A user read with
    one may be a copy the process kept (``Store.get_account``): the admission confirms it is current."""

    def account(self) -> Account:
        return Account(self.plan, self.credits, self.entitlements)

    def plan_account(self) -> Account:
        """What validation reads of the user (``validate_and_read``: its plan and entitlements, never its
        credits, which the store's reservation decides), made once per plan and entitlements: building an
        ``Account`` (a frozen dataclass with a check) cost ~2% of a ``POST /edit-chat``. Its ``credits`` are 0."""
        return _plan_account(self.plan, self.entitlements)

    def as_dict(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "plan": self.plan,
            "credits": self.credits,
            "in_progress_credits": self.in_progress,
            "charged_credits": self.charged,
            "entitlements": sorted(self.account().entitlements or ()),
        }


@functools.lru_cache(maxsize=64)
def _plan_account(plan: str, entitlements: frozenset[str] | None) -> Account:
    return Account(plan, 0.0, entitlements)


def check_plan(plan: str) -> str:
    if plan not in PLANS:
        raise ApiError("invalid_parameter", f"plan: unknown plan {plan!r}; use one of {', '.join(PLANS)}", field="plan")
    return plan


class Accounts:
    """Who a token is. Open mode creates a user on first use; strict mode knows only added users."""

    def __init__(
        self, store: Store, open_mode: bool = True, open_plan: str = "pro", open_credits: float = 1000
    ) -> None:
        self.store = store
        self.open_mode, self.open_plan, self.open_credits = open_mode, open_plan, open_credits

    def authenticate(self, token: str | None, *, account_only: bool = False) -> User:
        """The user of ``token``; 401 when missing, or unknown in strict mode. ``account_only``: the caller
        reads who the user is, not its credits (``Store.get_account``: the figures may be stale)."""
        if not token:
            raise ApiError("unauthorized")
        user = self.store.get_account(token) if account_only else self.store.get_user(token)
        if user is None:
            if not self.open_mode:
                raise ApiError("unauthorized", "Unknown API token (the mock runs in strict mode).")
            user = self.add(token, self.open_plan, self.open_credits)
        return user

    def add(self, token: str, plan: str, credits: float, entitlements: frozenset[str] | None = None) -> User:
        return self.store.add_user(User(token, check_plan(plan), float(credits), entitlements))

    def get(self, token: str) -> User | None:
        return self.store.get_user(token)


def load_users_file(path: str | Path) -> list[dict[str, Any]]:
    """Entries of ``{"users": [{"token", "plan", "credits", "identities"?}]}``; ValueError names the problem."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read users file {path}: {exc}") from exc
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, list):
        raise ValueError(f'{path}: expected {{"users": [...]}}')
    return check_users(users, str(path))


def check_users(users: list[Any], source: str) -> list[dict[str, Any]]:
    """Each entry has a string token, a known plan, credits >= 0 and identities ``[{"name"}]``."""
    for i, entry in enumerate(users):
        where = f"{source}: users[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("token"), str) or not entry["token"]:
            raise ValueError(f"{where} needs a non-empty string token")
        if entry.get("plan", "pro") not in PLANS:
            raise ValueError(f"{where}.plan must be one of {', '.join(PLANS)}")
        credits = entry.get("credits", 0)
        if isinstance(credits, bool) or not isinstance(credits, int | float) or not 0 <= credits < float("inf"):
            raise ValueError(f"{where}.credits must be a number >= 0")
        identities = entry.get("identities") or []
        if not isinstance(identities, list) or not all(
            isinstance(i, dict) and isinstance(i.get("name", ""), str) for i in identities
        ):
            raise ValueError(f'{where}.identities must be a list of {{"name": "..."}}')
    return users
