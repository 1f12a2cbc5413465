"""The parameter table ``EDIT_CHAT`` against the docs' Request parameters table."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from piktid_spec import ASPECT_RATIOS, CATALOGUE, DEFAULT_ENGINE, EDIT_CHAT, ENGINES, MODELS, OUTPUT_MODES, SIZES, Param
from piktid_spec.params import MAX_CUSTOM_RATIO

DOCS_TABLE = (
    "prompt",
    "image_ids",
    "identity_codes",
    "model",
    "size",
    "num_variations",
    "output_mode",
    "aspect_ratio",
    "width",
    "height",
    "conversation_id",
)


def test_fields_are_the_docs_table() -> None:
    assert EDIT_CHAT.names == DOCS_TABLE


@pytest.mark.parametrize("p", EDIT_CHAT.params, ids=lambda p: p.name)
def test_row_name_type_and_default_are_on_the_page(p: Param, in_docs: Callable[[str], bool]) -> None:
    default = "null" if p.default is None else str(p.default) if p.type == "integer" else f'"{p.default}"'
    label = p.type_label if p.name != "aspect_ratio" else p.type  # the docs list aspect ratios in the text
    name = "width, height" if p.name in ("width", "height") else p.name
    assert in_docs(f"{name}{label}{default}")


@pytest.mark.parametrize("p", EDIT_CHAT.params, ids=lambda p: p.name)
def test_param_provenance_quotes_the_docs(p: Param, docs_text: str) -> None:
    assert p.provenance.found_in(docs_text), p.provenance


@pytest.mark.parametrize("value", [*ASPECT_RATIOS, *MODELS, *SIZES, *OUTPUT_MODES])
def test_every_enum_value_is_documented(value: str, docs_text: str) -> None:
    assert value in docs_text


def test_enums() -> None:
    assert MODELS[0] == "auto" and MODELS[1:] == ENGINES and DEFAULT_ENGINE in ENGINES
    assert EDIT_CHAT.param("identity_codes").max_items == 2
    assert (EDIT_CHAT.param("num_variations").minimum, EDIT_CHAT.param("num_variations").maximum) == (1, 4)
    for name in ("width", "height"):
        p = EDIT_CHAT.param(name)
        assert (p.minimum, p.maximum, p.multiple_of) == (256, 7000, 8)
    assert MAX_CUSTOM_RATIO == 4


@pytest.mark.parametrize("p", EDIT_CHAT.params, ids=lambda p: p.name)
def test_declared_codes_are_catalogued_rules(p: Param) -> None:
    codes = {p.enum_code, p.range_code, p.max_items_code, p.items_code, p.multiple_code} - {None}
    assert codes <= set(EDIT_CHAT.rules) and codes <= set(CATALOGUE)


def test_markdown_table_has_a_row_per_field() -> None:
    rows = EDIT_CHAT.markdown_table().splitlines()
    assert len(rows) == 2 + len(EDIT_CHAT.params)
    assert all(row.startswith(f"| `{name}` |") for name, row in zip(EDIT_CHAT.names, rows[2:], strict=True))


def test_param_lookup_fails_for_unknown_names() -> None:
    with pytest.raises(StopIteration):
        EDIT_CHAT.param("nope")
