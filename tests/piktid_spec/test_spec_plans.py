"""Plans and accounts: which sizes a plan allows and who holds the custom-dimensions entitlement."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from piktid_spec import EDIT_CHAT, OUTPUT_CUSTOM_DIMENSIONS, PLANS, Account
from piktid_spec.plans import ENTITLEMENTS_PROVENANCE


def test_plans() -> None:
    assert set(PLANS) == {"free", "paid", "pro"}
    assert all(name == plan.name for name, plan in PLANS.items())


def test_2k_and_4k_require_a_paid_plan() -> None:
    all_sizes = set(EDIT_CHAT.param("size").enum or ())
    assert PLANS["free"].sizes == {"1K"}
    assert PLANS["paid"].sizes == PLANS["pro"].sizes == all_sizes


def test_only_pro_has_custom_dimensions() -> None:
    assert {name for name, plan in PLANS.items() if OUTPUT_CUSTOM_DIMENSIONS in plan.entitlements} == {"pro"}


@pytest.mark.parametrize("name", sorted(PLANS))
def test_plan_provenance_quotes_the_docs(name: str, in_docs: Callable[[str], bool]) -> None:
    assert PLANS[name].provenance.kind == "documented"
    assert in_docs(PLANS[name].provenance.text)


def test_entitlements_are_an_inferred_policy() -> None:
    assert ENTITLEMENTS_PROVENANCE.kind == "inferred"


def test_account_defaults_to_pro_with_its_entitlements() -> None:
    account = Account()
    assert account.plan == "pro" and account.entitled(OUTPUT_CUSTOM_DIMENSIONS)
    assert account.sizes == PLANS["pro"].sizes


@pytest.mark.parametrize("name", sorted(PLANS))
def test_account_takes_its_plans_sizes_and_entitlements(name: str) -> None:
    account = Account(name)
    assert account.sizes == PLANS[name].sizes
    assert account.entitlements == PLANS[name].entitlements


def test_explicit_entitlements_replace_the_plans() -> None:
    assert Account("free", entitlements={OUTPUT_CUSTOM_DIMENSIONS}).entitled(OUTPUT_CUSTOM_DIMENSIONS)  # type: ignore[arg-type]  # a set, as users pass one
    assert not Account("pro", entitlements=frozenset()).entitled(OUTPUT_CUSTOM_DIMENSIONS)


def test_entitlements_are_frozen_so_accounts_hash() -> None:
    account = Account("paid", entitlements=[OUTPUT_CUSTOM_DIMENSIONS])  # type: ignore[arg-type]  # a list, as users pass one
    assert isinstance(account.entitlements, frozenset)
    assert hash(account) == hash(Account("paid", entitlements=frozenset({OUTPUT_CUSTOM_DIMENSIONS})))


def test_unknown_plan_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown plan"):
        Account("enterprise")
