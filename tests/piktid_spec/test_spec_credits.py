"""``credits_for``: the per-image price by size times num_variations, from the docs' Credits table."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given

from piktid_spec import CATALOGUE, CREDITS_PER_IMAGE, EDIT_CHAT, EditChatRequest, credits_for
from piktid_spec.credits import CREDITS_PROVENANCE
from piktid_spec.strategies import edit_chat_requests, invalid_edit_chat_requests

DOCS_PRICES = {"1K": 3, "2K": 5, "4K": 10}
"""The docs' table: "sizeCredits per image 1K3 2K5 4K10"."""


def test_table_is_the_docs_table() -> None:
    assert CREDITS_PER_IMAGE == DOCS_PRICES


def test_docs_table_is_on_the_page(in_docs: Callable[[str], bool]) -> None:
    assert all(in_docs(f"{size}{price}") for size, price in DOCS_PRICES.items())
    assert in_docs(CREDITS_PROVENANCE.text)


def test_every_size_has_a_price() -> None:
    assert set(CREDITS_PER_IMAGE) == set(EDIT_CHAT.param("size").enum or ())


def test_defaults_are_2k_times_one() -> None:
    assert credits_for({"prompt": "p"}) == 5


@pytest.mark.parametrize("size", sorted(DOCS_PRICES))
@pytest.mark.parametrize("num_variations", [1, 2, 3, 4])
def test_price_times_variations(size: str, num_variations: int) -> None:
    assert credits_for({"prompt": "p", "size": size, "num_variations": num_variations}) == (
        DOCS_PRICES[size] * num_variations
    )


def test_warnings_do_not_stop_pricing() -> None:
    assert credits_for({"prompt": "p", "num_variations": 2.0, "promt": "x"}) == 10


def test_null_fields_take_their_defaults() -> None:
    assert credits_for({"prompt": "p", "size": None, "num_variations": None}) == 5


def test_accepts_a_parsed_request() -> None:
    assert credits_for(EditChatRequest.from_payload({"prompt": "p", "size": "4K", "num_variations": 3})) == 30


@pytest.mark.parametrize("payload", [None, [], {}, {"prompt": "p", "size": "8K"}, {"prompt": "p", "num_variations": 5}])
def test_invalid_payload_raises_value_error(payload: object) -> None:
    with pytest.raises(ValueError):
        credits_for(payload)


@given(edit_chat_requests())
def test_any_valid_request_costs_price_times_variations(payload: dict[str, object]) -> None:
    size = payload.get("size") or EDIT_CHAT.param("size").default
    count = payload.get("num_variations") or EDIT_CHAT.param("num_variations").default
    assert credits_for(payload) == DOCS_PRICES[str(size)] * int(str(count))


@given(invalid_edit_chat_requests())
def test_only_errors_raise(case: tuple[object, str]) -> None:
    payload, code = case
    if CATALOGUE[code].severity == "error":
        with pytest.raises(ValueError):
            credits_for(payload)
    else:
        assert credits_for(payload) in {price * n for price in DOCS_PRICES.values() for n in range(1, 5)}
