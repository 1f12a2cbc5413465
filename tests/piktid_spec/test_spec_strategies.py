"""The hypothesis strategies: valid draws validate clean, each invalid draw yields exactly its code,
every rule is reachable, and ``import piktid_spec`` does not pull hypothesis in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from piktid_spec import CATALOGUE, EDIT_CHAT, OUTPUT_CUSTOM_DIMENSIONS, PLANS, Account, validate_edit_chat
from piktid_spec.strategies import (
    edit_chat_requests,
    invalid_edit_chat_requests,
    invalid_edit_chat_requests_for,
    rule_codes,
)

CUSTOM_ENTITLED = frozenset({OUTPUT_CUSTOM_DIMENSIONS})
ACCOUNTS = [
    None,
    Account("free"),
    Account("paid"),
    Account("pro"),
    Account("free", entitlements=CUSTOM_ENTITLED),
    Account("paid", entitlements=CUSTOM_ENTITLED),
]
STRUCTURAL = frozenset(code for code in EDIT_CHAT.rules if CATALOGUE[code].status == 400)
CUSTOM_ONLY = frozenset(
    {"dimension_out_of_range", "dimension_not_multiple_of_8", "custom_dimensions_missing", "custom_ratio_out_of_range"}
)


def _name(account: Account | None) -> str:
    if account is None:
        return "no-account"
    return f"{account.plan}{'+custom' if account.entitled(OUTPUT_CUSTOM_DIMENSIONS) else ''}"


def _codes(payload: object, account: Account | None) -> set[str]:
    return {v.code for v in validate_edit_chat(payload, account=account)}


def _expected_codes(account: Account | None) -> frozenset[str]:
    """What the invalid strategy should cover, worked out independently of strategies.py."""
    if account is None:
        return STRUCTURAL
    entitled = account.entitled(OUTPUT_CUSTOM_DIMENSIONS)
    codes = set(STRUCTURAL) - (set() if entitled else CUSTOM_ONLY)
    if set(EDIT_CHAT.param("size").enum or ()) - account.sizes:
        codes.add("size_not_in_plan")
    if not entitled:
        codes.add("custom_dimensions_not_entitled")
    return frozenset(codes)


@pytest.mark.parametrize("account", ACCOUNTS, ids=_name)
def test_valid_draws_validate_clean(account: Account | None) -> None:
    @given(edit_chat_requests(account))
    def check(payload: dict[str, object]) -> None:
        assert validate_edit_chat(payload, account=account) == []
        json.dumps(payload, allow_nan=False)

    check()


@pytest.mark.parametrize("account", ACCOUNTS, ids=_name)
def test_invalid_draws_yield_exactly_their_code(account: Account | None) -> None:
    @given(invalid_edit_chat_requests(account))
    def check(case: tuple[object, str]) -> None:
        payload, code = case
        assert _codes(payload, account) == {code}
        json.dumps(payload, allow_nan=False)

    check()


@pytest.mark.parametrize("account", ACCOUNTS, ids=_name)
def test_rule_codes_cover_what_can_be_broken_alone(account: Account | None) -> None:
    assert rule_codes(account) == _expected_codes(account)


def test_without_an_account_every_structural_rule_is_covered() -> None:
    assert rule_codes() == STRUCTURAL
    assert {"size_not_in_plan", "custom_dimensions_not_entitled"} <= set(EDIT_CHAT.rules) - STRUCTURAL


def test_every_rule_is_reachable_for_some_account() -> None:
    assert set().union(*(rule_codes(a) for a in ACCOUNTS)) == set(EDIT_CHAT.rules)


@pytest.mark.parametrize(
    ("account", "code"),
    [(a, c) for a in ACCOUNTS for c in sorted(_expected_codes(a))],
    ids=lambda v: v if isinstance(v, str) else _name(v),
)
@settings(max_examples=15)
@given(data=st.data())
def test_each_rule_is_reachable_alone(account: Account | None, code: str, data: st.DataObject) -> None:
    payload = data.draw(invalid_edit_chat_requests_for(code, account))
    assert _codes(payload, account) == {code}


def test_unreachable_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="size_not_in_plan"):
        invalid_edit_chat_requests_for("size_not_in_plan", Account("pro"))
    with pytest.raises(ValueError):
        invalid_edit_chat_requests_for("dimension_out_of_range", Account("paid"))
    with pytest.raises(ValueError):
        invalid_edit_chat_requests_for("no_such_code")


@given(edit_chat_requests(Account("free")))
def test_free_draws_always_name_an_allowed_size(payload: dict[str, object]) -> None:
    assert payload["size"] in PLANS["free"].sizes


@given(edit_chat_requests(Account("paid")))
def test_unentitled_draws_never_use_custom(payload: dict[str, object]) -> None:
    assert payload.get("output_mode") != "custom"


def test_importing_the_package_does_not_import_hypothesis() -> None:
    code = "import piktid_spec, sys; assert 'hypothesis' not in sys.modules, 'piktid_spec imported hypothesis'"
    repo = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
