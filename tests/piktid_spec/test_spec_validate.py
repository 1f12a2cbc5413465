"""``validate_edit_chat`` and ``rejection``: one behaviour test per rule, quoting the docs where the
rule is documented, and the promise that validation never raises."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from piktid_spec import (
    CATALOGUE,
    EDIT_CHAT,
    ENGINES,
    MODELS,
    OUTPUT_CUSTOM_DIMENSIONS,
    SIZES,
    Account,
    Violation,
    rejection,
    validate_edit_chat,
)
from piktid_spec.strategies import edit_chat_requests

FREE, PAID, PRO = Account("free"), Account("paid"), Account("pro")
PAID_CUSTOM = Account("paid", entitlements=frozenset({OUTPUT_CUSTOM_DIMENSIONS}))
ACCOUNTS = [None, FREE, PAID, PRO, PAID_CUSTOM]
CUSTOM = {"prompt": "p", "output_mode": "custom"}


@dataclass(frozen=True)
class Case:
    """``payload`` breaks exactly ``code``; ``quote`` is the docs sentence a documented rule rests on."""

    code: str
    payload: object
    account: Account | None = None
    quote: str | None = None


CASES = [
    Case("invalid_body", None),
    Case("invalid_body", []),
    Case("invalid_body", '{"prompt": "p"}'),
    Case("invalid_body", [["prompt", "p"]]),
    Case("invalid_type", {"prompt": 5}),
    Case("invalid_type", {"prompt": "p", "num_variations": "2"}),
    Case("invalid_type", {"prompt": "p", "num_variations": True}),
    Case("invalid_type", {"prompt": "p", "num_variations": 2.5}),
    Case("invalid_type", {"prompt": "p", "num_variations": math.nan}),
    Case("invalid_type", {"image_ids": "file_1"}),
    Case("invalid_type", {"identity_codes": ["a", 1]}),
    Case("invalid_type", {**CUSTOM, "width": "512", "height": 512}),
    Case("missing_input", {}, quote="A request must include at least one of prompt, image_ids, or identity_codes."),
    Case("missing_input", {"prompt": None, "image_ids": None, "size": "1K"}),
    Case("missing_input", {"conversation_id": "job_1"}),
    Case(
        "too_many_identities",
        {"identity_codes": ["a", "b", "c"]},
        quote="Codes of saved identities to use as the model. Max 2.",
    ),
    Case(
        "num_variations_out_of_range",
        {"prompt": "p", "num_variations": 5},
        quote="How many images to generate, 1–4. Each is billed separately.",
    ),
    Case("num_variations_out_of_range", {"prompt": "p", "num_variations": 0}),
    Case(
        "invalid_size", {"prompt": "p", "size": "8K"}, quote='size "1K" | "2K" | "4K" "2K" Quality / processing size.'
    ),
    Case("invalid_size", {"prompt": "p", "size": "2k"}),
    Case(
        "invalid_model",
        {"prompt": "p", "model": "dall-e"},
        quote="400 No prompt, image_ids, or identity_codes supplied; invalid custom dimensions; "
        "or an unsupported model.",
    ),
    Case(
        "invalid_output_mode",
        {"prompt": "p", "output_mode": "fit", "width": 512},
        quote='output_mode "auto" | "match" | "ratio" | "custom" "auto" Delivered dimensions.',
    ),
    Case(
        "invalid_aspect_ratio",
        {"prompt": "p", "output_mode": "ratio", "aspect_ratio": "16:10"},
        quote='For output_mode: "ratio". One of 1:1, 3:2, 2:3, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9.',
    ),
    Case(
        "dimension_out_of_range",
        {**CUSTOM, "width": 248, "height": 512},
        quote='Exact output size for output_mode: "custom" (256–7000, multiple of 8).',
    ),
    Case("dimension_out_of_range", {**CUSTOM, "width": 1024, "height": 7008}),
    Case(
        "dimension_not_multiple_of_8",
        {**CUSTOM, "width": 1001, "height": 1024},
        quote='Exact output size for output_mode: "custom" (256–7000, multiple of 8).',
    ),
    Case("custom_dimensions_missing", {**CUSTOM, "width": 1024}),
    Case("custom_dimensions_missing", {**CUSTOM, "width": None, "height": 1024}),
    Case("empty_id", {"image_ids": [""]}),
    Case("empty_id", {"prompt": "p", "identity_codes": ["a", ""]}),
    Case("unknown_field", {"prompt": "p", "promt": "p"}),
    Case("unknown_field", {"prompt": "p", 1: 2}),
    Case("empty_value", {"prompt": "", "image_ids": ["f"]}),
    Case("empty_value", {"prompt": "p", "model": ""}),
    Case("empty_value", {"prompt": "p", "image_ids": []}),
    Case("float_for_integer", {"prompt": "p", "num_variations": 2.0}),
    Case("aspect_ratio_missing", {"prompt": "p", "output_mode": "ratio"}),
    Case("aspect_ratio_ignored", {"prompt": "p", "aspect_ratio": "1:1"}),
    Case("aspect_ratio_ignored", {"prompt": "p", "output_mode": "match", "aspect_ratio": "9:16"}),
    Case("dimensions_ignored", {"prompt": "p", "output_mode": "match", "width": 512}),
    Case("custom_ratio_out_of_range", {**CUSTOM, "width": 256, "height": 1032}),
    Case("size_not_in_plan", {"prompt": "p", "size": "2K"}, FREE, quote="2K and 4K require a paid plan."),
    Case("size_not_in_plan", {"prompt": "p", "size": "4K"}, FREE),
    Case("size_not_in_plan", {"prompt": "p"}, FREE),
    Case(
        "custom_dimensions_not_entitled",
        {**CUSTOM, "width": 1024, "height": 1024},
        PAID,
        quote="Requires the custom-dimensions entitlement (Pro).",
    ),
    Case("custom_dimensions_not_entitled", {**CUSTOM, "size": "1K", "width": 512, "height": 512}, FREE),
]

ACCEPTED = [
    ({"prompt": "p"}, None),
    ({"image_ids": ["f"]}, None),
    ({"identity_codes": ["a", "b"]}, None),
    ({"prompt": "p", "num_variations": 1}, None),
    ({"prompt": "p", "num_variations": 4}, None),
    ({"prompt": "p", "conversation_id": "job_1"}, None),
    ({"prompt": "p", "size": "1K"}, FREE),
    ({**CUSTOM, "width": 256, "height": 1024}, PRO),
    ({**CUSTOM, "width": 7000, "height": 7000}, PAID_CUSTOM),
    ({"prompt": "p", "output_mode": "ratio", "aspect_ratio": "21:9", "width": None}, PAID),
    *[({"prompt": "p", "model": model}, None) for model in MODELS],
    *[({"prompt": "p", "size": size}, PRO) for size in SIZES],
]


def _codes(violations: list[Violation]) -> set[str]:
    return {v.code for v in violations}


def _id(case: Case) -> str:
    return f"{case.code}:{case.payload!r}"[:60]


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_each_rule_alone(case: Case) -> None:
    violations = validate_edit_chat(case.payload, account=case.account)
    assert _codes(violations) == {case.code}
    spec = CATALOGUE[case.code]
    assert all(v.status == spec.status and v.severity == spec.severity for v in violations)


@pytest.mark.parametrize(("payload", "account"), ACCEPTED, ids=repr)
def test_accepted(payload: dict[str, object], account: Account | None) -> None:
    assert validate_edit_chat(payload, account=account) == []


def test_every_rule_has_a_behaviour_case() -> None:
    assert set(EDIT_CHAT.rules) <= {case.code for case in CASES}


@pytest.mark.parametrize("code", [c for c in EDIT_CHAT.rules if CATALOGUE[c].provenance.kind == "documented"])
def test_documented_rule_quotes_its_sentence(code: str) -> None:
    quotes = {case.quote for case in CASES if case.code == code and case.quote}
    assert quotes == {CATALOGUE[code].provenance.text}


@pytest.mark.parametrize("case", [case for case in CASES if case.quote], ids=_id)
def test_quoted_sentences_are_on_the_docs_page(case: Case, in_docs: Callable[[str], bool]) -> None:
    assert case.quote is not None and in_docs(case.quote)


def test_the_docs_examples_are_valid() -> None:
    examples = [
        {
            "prompt": "A bottle of amber perfume half-submerged in a calm ocean at sunset, photorealistic.",
            "size": "2K",
            "num_variations": 1,
        },
        {
            "prompt": "Place this sneaker on a wet city street at night with neon reflections.",
            "image_ids": ["file_1"],
            "size": "2K",
        },
        {
            "prompt": "Full-body editorial shot of the model in a beige trench coat, studio backdrop.",
            "identity_codes": ["default-pro-xxxxxxxx"],
            "size": "2K",
        },
        {"prompt": "Warm the lighting and add a soft rim light on the left.", "conversation_id": "job_abc123"},
    ]
    for example in examples:
        assert validate_edit_chat(example, account=PAID) == []


def test_each_engine_disables_the_fallback_but_is_accepted() -> None:
    assert all(validate_edit_chat({"prompt": "p", "model": e}) == [] for e in ENGINES)


def test_plan_rules_only_with_an_account() -> None:
    payload = {**CUSTOM, "size": "4K", "width": 512, "height": 512}
    assert validate_edit_chat(payload) == []
    assert _codes(validate_edit_chat(payload, account=FREE)) == {"size_not_in_plan", "custom_dimensions_not_entitled"}


def test_custom_entitlement_can_be_granted_to_any_plan() -> None:
    payload = {**CUSTOM, "size": "1K", "width": 512, "height": 512}
    free_custom = Account("free", entitlements=frozenset({OUTPUT_CUSTOM_DIMENSIONS}))
    assert validate_edit_chat(payload, account=free_custom) == []
    assert _codes(validate_edit_chat(payload, account=Account("pro", entitlements=frozenset()))) == {
        "custom_dimensions_not_entitled"
    }


def test_empty_prompt_as_the_only_input_is_also_missing_input() -> None:
    assert _codes(validate_edit_chat({"prompt": ""})) == {"empty_value", "missing_input"}


def test_invalid_aspect_ratio_outside_ratio_mode_is_also_ignored() -> None:
    payload = {"prompt": "p", "aspect_ratio": "16:10"}
    assert _codes(validate_edit_chat(payload)) == {"invalid_aspect_ratio", "aspect_ratio_ignored"}


def test_errors_come_before_warnings() -> None:
    violations = validate_edit_chat({"prompt": "p", "promt": "p", "num_variations": 9, "size": "2K"}, account=FREE)
    assert [v.code for v in violations] == ["num_variations_out_of_range", "size_not_in_plan", "unknown_field"]


@pytest.mark.parametrize("code", [c for c in EDIT_CHAT.rules if CATALOGUE[c].severity == "warning"])
def test_warnings_have_severity_warning(code: str) -> None:
    violations = [
        v for case in CASES if case.code == code for v in validate_edit_chat(case.payload, account=case.account)
    ]
    assert violations and all(v.severity == "warning" and not v.is_error and v.status == 400 for v in violations)


def test_violation_renders_detail_and_dict() -> None:
    [v] = validate_edit_chat({"prompt": "p", "size": "8K"})
    assert v.message.startswith("size")
    assert v.as_detail() == {"field": "size", "message": v.message, "position": "body", "code": "invalid_size"}
    rendered = v.as_dict()
    assert rendered["status"] == 400 and rendered["severity"] == "error"
    assert rendered["provenance"] == {"kind": "documented", "text": CATALOGUE["invalid_size"].provenance.text}


def test_size_not_in_plan_names_the_size_and_the_plan() -> None:
    [v] = validate_edit_chat({"prompt": "p", "size": "4K"}, account=FREE)
    assert "4K" in v.message and "free" in v.message and v.field == "size"


# --- rejection ---------------------------------------------------------------------------------


def test_rejection_accepts_clean_and_warning_only_requests() -> None:
    assert rejection([]) is None
    assert rejection(validate_edit_chat({"prompt": "p", "promt": "x"})) is None


def test_strict_mode_rejects_warnings_with_400() -> None:
    violations = validate_edit_chat({"prompt": "p", "promt": "x"})
    assert rejection(violations, strict=True) == (400, violations)


def test_400_wins_over_403() -> None:
    violations = validate_edit_chat({"prompt": "p", "size": "4K", "num_variations": 0}, account=FREE)
    status, blocking = rejection(violations) or (0, [])
    assert status == 400 and [v.code for v in blocking] == ["num_variations_out_of_range"]


def test_403_alone_rejects_with_403() -> None:
    violations = validate_edit_chat({"prompt": "p", "size": "4K", "promt": "x"}, account=FREE)
    assert rejection(violations) == (403, [v for v in violations if v.code == "size_not_in_plan"])


def test_strict_warnings_outrank_a_403() -> None:
    violations = validate_edit_chat({"prompt": "p", "size": "4K", "promt": "x"}, account=FREE)
    assert rejection(violations, strict=True) == (400, [v for v in violations if v.code == "unknown_field"])


def test_non_strict_rejection_leaves_warnings_out() -> None:
    violations = validate_edit_chat({"prompt": "p", "promt": "x", "model": "x"})
    assert rejection(violations) == (400, [v for v in violations if v.code == "invalid_model"])


def test_invalid_size_on_free_is_only_invalid_size() -> None:
    assert _codes(validate_edit_chat({"prompt": "p", "size": "8K"}, account=FREE)) == {"invalid_size"}


# --- never raises --------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
FIELD_NAMES = st.sampled_from(EDIT_CHAT.names)
NOT_JSON = st.one_of(
    st.sets(st.integers(), max_size=3),
    st.frozensets(st.text(max_size=3), max_size=3),
    st.binary(max_size=8),
    st.builds(object),
    st.just(math.nan),
    st.just(math.inf),
    st.just(-math.inf),
    st.integers(min_value=10**30),
    st.integers(max_value=-(10**30)),
    st.just(10**400),
    st.tuples(st.integers(), st.text(max_size=3)),
    st.complex_numbers(),
    st.just(float("1e308") * 10),
    st.dictionaries(st.integers(), st.integers(), max_size=3),
    st.just(Ellipsis),
    st.just(NotImplemented),
    st.just(type),
)
WEIRD = JSON | NOT_JSON
WEIRD_KEYS = st.one_of(
    FIELD_NAMES,
    st.text(max_size=8),
    st.integers(),
    st.none(),
    st.booleans(),
    st.tuples(st.integers()),
    st.frozensets(st.integers(), max_size=2),
    st.floats(),
)


def _never_raises(payload: object, account: Account | None) -> None:
    violations = validate_edit_chat(payload, account=account)
    assert isinstance(violations, list) and all(isinstance(v, Violation) for v in violations)
    rejection(violations)
    rejection(violations, strict=True)


@given(JSON, st.sampled_from(ACCOUNTS))
def test_never_raises_on_json(payload: object, account: Account | None) -> None:
    _never_raises(payload, account)


@given(st.dictionaries(FIELD_NAMES, JSON), st.sampled_from(ACCOUNTS))
def test_never_raises_on_real_fields_with_any_json(payload: dict[str, object], account: Account | None) -> None:
    _never_raises(payload, account)


@given(
    st.dictionaries(WEIRD_KEYS, WEIRD | st.lists(WEIRD, max_size=3), max_size=6) | NOT_JSON, st.sampled_from(ACCOUNTS)
)
def test_never_raises_on_python_objects(payload: object, account: Account | None) -> None:
    _never_raises(payload, account)


@given(st.fixed_dictionaries({}, optional={name: WEIRD for name in EDIT_CHAT.names}), st.sampled_from(ACCOUNTS))
def test_never_raises_when_every_field_is_odd(payload: dict[str, object], account: Account | None) -> None:
    _never_raises(payload, account)


def _interpreted(payload: object, account: Account | None) -> list[Violation]:
    """``validate_edit_chat`` with the compiled reader turned off: the table walked field by field."""
    from piktid_spec import validate as module

    compiled = module._read_fast
    module._read_fast = lambda _: None  # type: ignore[assignment]  # the reference: always the walk
    try:
        return module.validate_edit_chat(payload, account=account)
    finally:
        module._read_fast = compiled


def _agrees(payload: object, account: Account | None) -> None:
    from piktid_spec import validate as module

    assert validate_edit_chat(payload, account=account) == _interpreted(payload, account)
    if isinstance(payload, dict):
        assert module.read_usable(payload) == module.read_params(payload)[0]


@given(st.fixed_dictionaries({}, optional={name: WEIRD for name in EDIT_CHAT.names}), st.sampled_from(ACCOUNTS))
def test_the_compiled_reader_agrees_with_the_walk_on_odd_fields(
    payload: dict[str, object], account: Account | None
) -> None:
    _agrees(payload, account)


@given(st.sampled_from(ACCOUNTS).flatmap(lambda a: st.tuples(edit_chat_requests(a), st.just(a))))
def test_the_compiled_reader_agrees_with_the_walk_on_valid_requests(case: tuple[dict[str, object], Account]) -> None:
    _agrees(*case)


@given(st.dictionaries(WEIRD_KEYS, WEIRD | st.lists(WEIRD, max_size=3), max_size=6), st.sampled_from(ACCOUNTS))
def test_the_compiled_reader_agrees_with_the_walk_on_python_objects(payload: object, account: Account | None) -> None:
    _agrees(payload, account)


def test_rejection_takes_any_iterable_of_violations() -> None:
    """``rejection`` reads its violations once: a tuple or a generator is judged as the list is (the
    compiled build checks argument types, so this is pinned)."""
    violations = validate_edit_chat({"prompt": "x", "size": "9K"})
    expected = rejection(violations)
    assert expected is not None
    assert rejection(tuple(violations)) == expected
    assert rejection(v for v in violations) == expected
