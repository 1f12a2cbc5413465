"""Findings: readable, typed, and raised as an AssertionError that carries them all."""

from __future__ import annotations

import pytest

from contract_tests import ContractViolation, Finding, raise_findings
from contract_tests.findings import spec_of


def finding(check: str = "requests_valid") -> Finding:
    return Finding(
        check,
        "POST /edit-chat -> 400",
        "no violation",
        "num_variations_out_of_range",
        'documented: "How many images to generate, 1–4."',
    )


def test_str_names_the_check_what_was_sent_expected_and_the_documented_sentence() -> None:
    text = str(finding())
    for part in (
        "[requests_valid]",
        "sent:     POST /edit-chat -> 400",
        "expected: no violation",
        "observed: num_variations_out_of_range",
        'spec:     documented: "How many images',
    ):
        assert part in text


def test_a_violation_is_an_assertion_error_listing_every_finding() -> None:
    with pytest.raises(AssertionError) as raised:
        raise_findings([finding("a"), finding("b")])
    assert isinstance(raised.value, ContractViolation)
    assert [f.check for f in raised.value.findings] == ["a", "b"]
    assert str(raised.value).startswith("2 contract findings:")
    assert "[a]" in str(raised.value) and "[b]" in str(raised.value)


def test_no_findings_raise_nothing() -> None:
    raise_findings([])


def test_spec_of_quotes_the_catalogue_provenance() -> None:
    assert spec_of("rate_limited") == 'documented: "429 Rate limit reached (15 requests per minute per user)."'
    assert spec_of("no-such-code") == ""
