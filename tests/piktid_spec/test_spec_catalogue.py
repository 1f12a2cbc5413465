"""The error catalogue: complete for /edit-chat, consistent, and quoting the docs where it says so."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from piktid_spec import CATALOGUE, EDIT_CHAT, error_body
from piktid_spec import catalogue as catalogue_module

DOCUMENTED = sorted(code for code, spec in CATALOGUE.items() if spec.provenance.kind == "documented")

KNOWN_NOT_VERBATIM = frozenset(
    {
        # Table rows: the docs page joins table cells with no space ("400No prompt, ...").
        "invalid_size",
        "invalid_model",
        "invalid_output_mode",
        "insufficient_credits",
        "rate_limited",
        "not_found",
        "file_not_found",
        "identity_not_found",
        "conversation_not_found",
        # Elides part of the 403 row with "...".
        "content_blocked",
    }
)
"""Documented quotes that are not exact substrings of the page (they match ignoring whitespace)."""


def test_codes_are_unique() -> None:
    assert len(CATALOGUE) == len(catalogue_module._ENTRIES)


def test_every_edit_chat_rule_is_catalogued() -> None:
    assert set(EDIT_CHAT.rules) <= set(CATALOGUE)
    assert len(set(EDIT_CHAT.rules)) == len(EDIT_CHAT.rules)


@pytest.mark.parametrize("code", EDIT_CHAT.rules)
def test_edit_chat_rules_are_400_or_403(code: str) -> None:
    assert CATALOGUE[code].status in (400, 403)


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_entries_are_well_formed(code: str) -> None:
    spec = CATALOGUE[code]
    assert spec.code == code
    assert 400 <= spec.status < 600
    assert spec.message.strip()
    assert spec.provenance.text.strip()
    assert spec.severity in ("error", "warning")


def test_warnings_are_400s_since_strict_mode_rejects_them_with_400() -> None:
    warnings = {code for code, spec in CATALOGUE.items() if spec.severity == "warning"}
    assert warnings, "the catalogue declares warnings"
    assert all(CATALOGUE[code].status == 400 for code in warnings)


@pytest.mark.parametrize("code", DOCUMENTED)
def test_documented_entries_quote_the_docs(code: str, in_docs: Callable[[str], bool]) -> None:
    quote = CATALOGUE[code].provenance.text
    assert in_docs(quote), f"{code}: {quote!r} is not on the docs page"


def test_only_known_quotes_are_not_verbatim(docs_text: str) -> None:
    not_verbatim = {code for code in DOCUMENTED if CATALOGUE[code].provenance.text not in docs_text}
    assert not_verbatim <= KNOWN_NOT_VERBATIM, f"new non-verbatim quotes: {sorted(not_verbatim - KNOWN_NOT_VERBATIM)}"


def test_provenance_renders_its_kind() -> None:
    assert str(CATALOGUE["missing_input"].provenance).startswith('documented: "')
    assert str(CATALOGUE["invalid_body"].provenance).startswith("inferred: ")


def test_error_body_has_error_and_code() -> None:
    assert error_body("unauthorized") == {"error": CATALOGUE["unauthorized"].message, "code": "unauthorized"}


def test_every_400_body_has_a_detail_list() -> None:
    message = CATALOGUE["missing_input"].message
    assert error_body("missing_input") == {
        "error": message,
        "code": "missing_input",
        "detail": [{"field": None, "message": message, "position": "body", "code": "missing_input"}],
    }


def test_error_body_message_detail_and_extra_keys() -> None:
    detail = [{"field": "size", "message": "m", "position": "body", "code": "invalid_size"}]
    body = error_body("invalid_size", "custom", detail=detail, hint=1)
    assert body == {"error": "custom", "code": "invalid_size", "detail": detail, "hint": 1}


def test_insufficient_credits_body_carries_the_documented_amounts() -> None:
    body = error_body("insufficient_credits", required_credits=5, in_progress_credits=0, user_credits=2)
    assert {"required_credits", "in_progress_credits", "user_credits"} <= set(body)


def test_error_body_rejects_unknown_codes() -> None:
    with pytest.raises(KeyError):
        error_body("no_such_code")
