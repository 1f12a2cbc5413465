"""Hypothesis strategies for ``POST /edit-chat``, derived from ``EDIT_CHAT`` and ``PLANS``.

This is the only module of ``piktid_spec`` that imports hypothesis, so ``import piktid_spec`` stays
free of test dependencies: import ``piktid_spec.strategies`` explicitly.

Valid requests are built by construction (never filtered), so every draw is useful and the
strategies cannot drift from the declarations they read. An invalid request is a valid one with
exactly one thing broken, so each draw names the single code ``validate_edit_chat`` must answer.
Every payload is plain JSON, ready to be sent to the mock server as-is.
"""

from __future__ import annotations

import json
import math
import string
from collections import defaultdict
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from piktid_spec.catalogue import CATALOGUE
from piktid_spec.params import EDIT_CHAT, MAX_CUSTOM_RATIO, Param
from piktid_spec.plans import OUTPUT_CUSTOM_DIMENSIONS, Account
from piktid_spec.validate import INPUT_FIELDS

__all__ = [
    "edit_chat_requests",
    "invalid_edit_chat_requests",
    "invalid_edit_chat_requests_for",
    "rule_codes",
]

Payload = dict[str, Any]
Breaker = Callable[[Account | None], SearchStrategy[Any] | None]

_PLAN_FIELD = "size"
"""The one field whose allowed values depend on the plan (``Account.sizes``)."""

_READ_UNDER = {"aspect_ratio": "ratio", "width": "custom", "height": "custom"}
"""Fields read only under one output_mode: anywhere else they draw an ``*_ignored`` warning."""

_MAX_IDS = 4
"""Cap on generated ``image_ids`` lists: the docs set no maximum, long lists only slow tests down."""

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


# --- reading the declarations -------------------------------------------------------------------


def _param(name: str) -> Param:
    return EDIT_CHAT.param(name)


def _allowed(p: Param, account: Account | None) -> tuple[str, ...]:
    """``p.enum`` narrowed by the plan: ``size`` is the only field a plan restricts."""
    assert p.enum is not None
    if p.name == _PLAN_FIELD and account is not None:
        return tuple(v for v in p.enum if v in account.sizes)
    return p.enum


def _default_ok(p: Param, account: Account | None) -> bool:
    """Whether leaving ``p`` out is valid: a free account may not fall back to the default 2K."""
    return p.enum is None or p.default is None or p.default in _allowed(p, account)


def _custom_ok(account: Account | None) -> bool:
    return account is None or account.entitled(OUTPUT_CUSTOM_DIMENSIONS)


def _modes(account: Account | None) -> tuple[str, ...]:
    """Output-mode families the account may use: custom only with the entitlement."""
    return ("plain", "ratio", "custom") if _custom_ok(account) else ("plain", "ratio")


# --- valid values ---------------------------------------------------------------------------------


def _ids() -> SearchStrategy[str]:
    """Id-like strings (file_ids, identity codes, job ids): non-empty, as the service issues them."""
    return st.text(_ID_ALPHABET, min_size=1, max_size=24)


def _bounds(p: Param) -> tuple[int, int, int]:
    """``(minimum, maximum, step)`` of an integer field declared with bounds."""
    if p.minimum is None or p.maximum is None:
        raise ValueError(f"{p.name} declares no bounds")
    return p.minimum, p.maximum, p.multiple_of or 1


def _stepped(p: Param) -> SearchStrategy[int]:
    """Integers within ``p``'s bounds and on its ``multiple_of`` grid."""
    low, high, step = _bounds(p)
    return st.integers(math.ceil(low / step), high // step).map(lambda k: k * step)


def _valid_value(p: Param, account: Account | None = None) -> SearchStrategy[Any]:
    """A value of ``p`` that is valid on its own (cross-field rules are the caller's business)."""
    if p.enum:
        return st.sampled_from(_allowed(p, account))
    if p.type == "integer":
        return _stepped(p)
    if p.type == "string[]":
        return st.lists(_ids(), min_size=1, max_size=p.max_items or _MAX_IDS)
    return st.text(min_size=1, max_size=80) if p.name == "prompt" else _ids()


def _custom_dims() -> SearchStrategy[tuple[int, int]]:
    """``(width, height)`` each in range and on the grid, with long/short <= ``MAX_CUSTOM_RATIO``."""
    h_min, h_max, step = _bounds(_param("height"))

    def heights(w: int) -> SearchStrategy[tuple[int, int]]:
        low = max(h_min, math.ceil(w / MAX_CUSTOM_RATIO))
        high = min(h_max, w * MAX_CUSTOM_RATIO)
        return st.integers(math.ceil(low / step), high // step).map(lambda k: (w, k * step))

    return _stepped(_param("width")).flatmap(heights)


# --- valid requests -------------------------------------------------------------------------------


def _merge(parts: tuple[Payload, ...]) -> Payload:
    return {key: value for part in parts for key, value in part.items()}


def _nulls(names: tuple[str, ...] | list[str]) -> dict[str, SearchStrategy[None]]:
    return {name: st.none() for name in names}


def _inputs() -> SearchStrategy[Payload]:
    """At least one of prompt / image_ids / identity_codes; the others absent or null."""

    def pick(chosen: frozenset[str]) -> SearchStrategy[Payload]:
        names = [n for n in INPUT_FIELDS if n in chosen]
        return st.fixed_dictionaries(
            {n: _valid_value(_param(n)) for n in names}, optional=_nulls([n for n in INPUT_FIELDS if n not in chosen])
        )

    return st.frozensets(st.sampled_from(INPUT_FIELDS), min_size=1).flatmap(pick)


def _options(account: Account | None) -> SearchStrategy[Payload]:
    """model, size, num_variations, conversation_id: each absent, null or valid, except that a field
    whose default the plan forbids (size on free) is always given explicitly."""
    required: dict[str, SearchStrategy[Any]] = {}
    optional: dict[str, SearchStrategy[Any]] = {}
    for p in EDIT_CHAT.params:
        if p.name in INPUT_FIELDS or p.name in _READ_UNDER or p.name == "output_mode":
            continue
        if _default_ok(p, account):
            optional[p.name] = st.none() | _valid_value(p, account)
        else:
            required[p.name] = _valid_value(p, account)
    return st.fixed_dictionaries(required, optional=optional)


def _plain_mode() -> SearchStrategy[Payload]:
    """output_mode absent, null or one that keeps the input size (auto, match); no companions."""
    keep = [m for m in _param("output_mode").enum or () if m not in _READ_UNDER.values()]
    return st.fixed_dictionaries(
        {}, optional={"output_mode": st.sampled_from([None, *keep]), **_nulls(list(_READ_UNDER))}
    )


def _ratio_mode() -> SearchStrategy[Payload]:
    """output_mode "ratio" with its required aspect_ratio."""
    required = {"output_mode": st.just("ratio"), "aspect_ratio": _valid_value(_param("aspect_ratio"))}
    return st.fixed_dictionaries(required, optional=_nulls(["width", "height"]))


def _custom_mode() -> SearchStrategy[Payload]:
    """output_mode "custom" with width and height (the caller checks the entitlement)."""
    dims = _custom_dims().map(lambda wh: {"output_mode": "custom", "width": wh[0], "height": wh[1]})
    return st.tuples(dims, st.fixed_dictionaries({}, optional=_nulls(["aspect_ratio"]))).map(_merge)


_MODE_FAMILIES: dict[str, Callable[[], SearchStrategy[Payload]]] = {
    "plain": _plain_mode,
    "ratio": _ratio_mode,
    "custom": _custom_mode,
}


def _requests(account: Account | None, modes: tuple[str, ...]) -> SearchStrategy[Payload]:
    """Valid requests (for ``account``) whose output mode is one of the ``modes`` families."""
    return st.tuples(_inputs(), _options(account), st.one_of(*(_MODE_FAMILIES[m]() for m in modes))).map(_merge)


def edit_chat_requests(account: Account | None = None) -> SearchStrategy[Payload]:
    """Requests ``validate_edit_chat(payload, account=account)`` answers ``[]`` for: no error, no warning."""
    return _requests(account, _modes(account))


# --- broken values --------------------------------------------------------------------------------


def _avoid(value: str, forbidden: tuple[str, ...]) -> str:
    while value in forbidden:
        value += "?"
    return value


def _outside(values: tuple[str, ...]) -> SearchStrategy[str]:
    """Non-empty strings that are none of ``values``: near misses (case, spaces) or any text."""
    near = [variant for v in values for variant in (v.lower(), v.upper(), f" {v}", f"{v} ", v + v)]
    return st.one_of(st.sampled_from(near), st.text(min_size=1, max_size=20)).map(lambda s: _avoid(s, values))


def _out_of_range(p: Param) -> SearchStrategy[int]:
    low, high, _ = _bounds(p)
    return st.integers(max_value=low - 1) | st.integers(min_value=high + 1)


def _off_grid(p: Param) -> SearchStrategy[int]:
    """In range but not a multiple of ``p.multiple_of``."""
    _, high, step = _bounds(p)
    return _stepped(p).flatmap(lambda v: st.integers(1, step - 1).map(lambda r: v + r if v + r <= high else v - r))


def _too_many(p: Param) -> SearchStrategy[list[str]]:
    assert p.max_items is not None
    return st.lists(_ids(), min_size=p.max_items + 1, max_size=p.max_items + 3)


def _with_empty_item(p: Param) -> SearchStrategy[list[str]]:
    """A list of ids with one "" in it, no longer than ``p.max_items`` allows."""
    others = st.lists(_ids(), max_size=(p.max_items or _MAX_IDS) - 1)
    return st.tuples(others, st.integers(0, _MAX_IDS)).map(lambda t: [*t[0][: t[1]], "", *t[0][t[1] :]])


def _wrong_type(p: Param) -> SearchStrategy[Any]:
    """JSON values of another type than ``p.type``; never null, "" or [] (they mean absent)."""
    numbers = st.integers(-(10**6), 10**6)
    fractions = numbers.map(lambda i: i + 0.5)
    text = st.text(min_size=1, max_size=10)
    objects = st.dictionaries(st.text(max_size=5), numbers, max_size=2)
    common = (st.booleans(), objects)
    if p.type == "integer":
        return st.one_of(text, fractions, numbers.map(str), st.lists(numbers, min_size=1, max_size=3), *common)
    if p.type == "string":
        return st.one_of(numbers, fractions, st.lists(text, min_size=1, max_size=3), *common)
    not_str = st.one_of(numbers, st.booleans(), st.none(), objects)
    mixed = st.tuples(st.lists(_ids(), max_size=2), not_str).map(lambda t: [*t[0], t[1]])
    return st.one_of(text, numbers, mixed, *common)


# --- breaking one rule ----------------------------------------------------------------------------


def _set(base: SearchStrategy[Payload], name: str, values: SearchStrategy[Any]) -> SearchStrategy[Payload]:
    return st.tuples(base, values).map(lambda bv: {**bv[0], name: bv[1]})


def _context(name: str, account: Account | None) -> SearchStrategy[Payload] | None:
    """Valid requests in which a broken ``name`` is the only fault, or None if there are none.

    aspect_ratio is read under "ratio" and width/height under "custom" (elsewhere they also draw
    an ``*_ignored`` warning).
    """
    mode = _READ_UNDER.get(name)
    if mode == "custom" and not _custom_ok(account):
        return None
    return _requests(account, (mode,) if mode else _modes(account))


@lru_cache(maxsize=1)
def _declared_cases() -> Mapping[str, list[tuple[str, SearchStrategy[Any]]]]:
    """``code -> [(field, bad values)]`` for every rule a ``Param`` declaration names."""
    cases: dict[str, list[tuple[str, SearchStrategy[Any]]]] = defaultdict(list)
    for p in EDIT_CHAT.params:
        cases["invalid_type"].append((p.name, _wrong_type(p)))
        if p.enum and p.enum_code:
            cases[p.enum_code].append((p.name, _outside(p.enum)))
        if p.range_code:
            cases[p.range_code].append((p.name, _out_of_range(p)))
        if p.multiple_of and p.multiple_code:
            cases[p.multiple_code].append((p.name, _off_grid(p)))
        if p.max_items is not None and p.max_items_code:
            cases[p.max_items_code].append((p.name, _too_many(p)))
        if p.items_code:
            cases[p.items_code].append((p.name, _with_empty_item(p)))
    return cases


def _declared(code: str) -> Breaker:
    """Set one declared field, in a context where it is read alone, to a value breaking ``code``."""

    def build(account: Account | None) -> SearchStrategy[Any] | None:
        cases = [
            _set(base, name, values)
            for name, values in _declared_cases().get(code, [])
            if (base := _context(name, account)) is not None
        ]
        return st.one_of(cases) if cases else None

    return build


def _one_of(cases: list[SearchStrategy[Any] | None]) -> SearchStrategy[Any] | None:
    present = [case for case in cases if case is not None]
    return st.one_of(present) if present else None


def _invalid_body(account: Account | None) -> SearchStrategy[Any]:
    """Not an object: the request as a list of pairs, wrapped in a list, double-encoded, or a scalar."""
    base = edit_chat_requests(account)
    return st.one_of(
        base.map(lambda b: [b]),
        base.map(lambda b: [list(kv) for kv in b.items()]),
        base.map(json.dumps),
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=10),
    )


def _missing_input(account: Account | None) -> SearchStrategy[Payload]:
    """No prompt, image_ids or identity_codes: removed, or sent as null."""

    def strip(bn: tuple[Payload, bool]) -> Payload:
        kept = {k: v for k, v in bn[0].items() if k not in INPUT_FIELDS}
        return {**kept, **({n: None for n in INPUT_FIELDS} if bn[1] else {})}

    return st.tuples(edit_chat_requests(account), st.booleans()).map(strip)


def _unknown_key() -> SearchStrategy[str]:
    """Typos of real names (the case that matters: they do nothing) or any other key."""
    near = [v for n in EDIT_CHAT.names for v in (n + "s", n.upper(), n.replace("_", ""), n[:-1])]
    return st.one_of(st.sampled_from(near), st.text(max_size=12)).map(lambda s: _avoid(s, EDIT_CHAT.names))


def _unknown_field(account: Account | None) -> SearchStrategy[Payload]:
    json_leaf = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
    return st.tuples(edit_chat_requests(account), _unknown_key(), json_leaf).map(lambda t: {**t[0], t[1]: t[2]})


def _empty_input(name: str, account: Account | None) -> SearchStrategy[Payload]:
    """``name`` blank while another input is still given, so missing_input does not fire too."""
    p = _param(name)
    others = [n for n in INPUT_FIELDS if n != name]
    backup = st.one_of(*(st.tuples(st.just(n), _valid_value(_param(n))) for n in others))

    def blank(t: tuple[Payload, tuple[str, Any]]) -> Payload:
        base, (other, value) = t
        payload = {**base, name: "" if p.type == "string" else []}
        if not any(payload.get(n) for n in others):
            payload[other] = value
        return payload

    return st.tuples(edit_chat_requests(account), backup).map(blank)


def _empty_value(account: Account | None) -> SearchStrategy[Payload] | None:
    """A string field sent as "" or a list as []; aspect_ratio only where no ratio is wanted."""
    cases: list[SearchStrategy[Any] | None] = []
    for p in EDIT_CHAT.params:
        if p.type == "integer":
            continue
        if p.name in INPUT_FIELDS:
            cases.append(_empty_input(p.name, account))
        elif p.name == "aspect_ratio":
            modes = tuple(m for m in _modes(account) if m != "ratio")
            cases.append(_set(_requests(account, modes), p.name, st.just("")))
        elif (base := _context(p.name, account)) is not None:
            cases.append(_set(base, p.name, st.just("" if p.type == "string" else [])))
    return _one_of(cases)


def _float_for_integer(account: Account | None) -> SearchStrategy[Payload] | None:
    """An integer field as the same whole number written as a float (2.0 for 2)."""

    def as_float(name: str) -> Callable[[tuple[Payload, int]], Payload]:
        return lambda t: {**t[0], name: float(t[0].get(name) or t[1])}

    cases = [
        None if (base := _context(p.name, account)) is None else st.tuples(base, _valid_value(p)).map(as_float(p.name))
        for p in EDIT_CHAT.params
        if p.type == "integer"
    ]
    return _one_of(cases)


def _aspect_ratio_missing(account: Account | None) -> SearchStrategy[Payload]:
    """output_mode "ratio" with aspect_ratio removed or null."""

    def drop(bn: tuple[Payload, bool]) -> Payload:
        kept = {k: v for k, v in bn[0].items() if k != "aspect_ratio"}
        return {**kept, "aspect_ratio": None} if bn[1] else kept

    return st.tuples(_requests(account, ("ratio",)), st.booleans()).map(drop)


def _aspect_ratio_ignored(account: Account | None) -> SearchStrategy[Payload]:
    """A valid aspect_ratio sent with an output_mode that does not read it."""
    modes = tuple(m for m in _modes(account) if m != "ratio")
    return _set(_requests(account, modes), "aspect_ratio", _valid_value(_param("aspect_ratio")))


def _dimensions_ignored(account: Account | None) -> SearchStrategy[Payload]:
    """Valid width and/or height sent with an output_mode other than custom."""
    base = _requests(account, tuple(m for m in _modes(account) if m != "custom"))
    which = st.sampled_from([("width",), ("height",), ("width", "height")])

    def add(t: tuple[Payload, tuple[str, ...], tuple[int, int]]) -> Payload:
        base_payload, names, (width, height) = t
        dims = {"width": width, "height": height}
        return {**base_payload, **{name: dims[name] for name in names}}

    return st.tuples(base, which, _custom_dims()).map(add)


def _custom_dimensions_missing(account: Account | None) -> SearchStrategy[Payload] | None:
    """output_mode "custom" with one of width / height removed or null."""
    if not _custom_ok(account):
        return None

    def drop(t: tuple[Payload, str, bool]) -> Payload:
        kept = {k: v for k, v in t[0].items() if k != t[1]}
        return {**kept, t[1]: None} if t[2] else kept

    return st.tuples(_requests(account, ("custom",)), st.sampled_from(["width", "height"]), st.booleans()).map(drop)


def _skewed_dims() -> SearchStrategy[tuple[int, int]]:
    """In-range, on-grid ``(width, height)`` whose long side exceeds ``MAX_CUSTOM_RATIO`` x the short."""
    (w_min, w_max, w_step), (h_min, h_max, h_step) = _bounds(_param("width")), _bounds(_param("height"))
    step = math.lcm(w_step, h_step)
    top = min(w_max, h_max) // step

    def longer(short: int) -> SearchStrategy[int]:
        return st.integers(short * MAX_CUSTOM_RATIO + 1, top)

    shorts = st.integers(math.ceil(max(w_min, h_min) / step), (top - 1) // MAX_CUSTOM_RATIO)
    pairs = shorts.flatmap(lambda s: longer(s).map(lambda lg: (s * step, lg * step)))
    return st.tuples(pairs, st.booleans()).map(lambda t: t[0] if t[1] else (t[0][1], t[0][0]))


def _custom_ratio_out_of_range(account: Account | None) -> SearchStrategy[Payload] | None:
    if not _custom_ok(account):
        return None
    return st.tuples(_requests(account, ("custom",)), _skewed_dims()).map(
        lambda t: {**t[0], "width": t[1][0], "height": t[1][1]}
    )


def _size_not_in_plan(account: Account | None) -> SearchStrategy[Payload] | None:
    """A size the plan lacks: named explicitly, or left to a default the plan lacks."""
    if account is None:
        return None
    p = _param(_PLAN_FIELD)
    assert p.enum is not None
    beyond = [s for s in p.enum if s not in account.sizes]
    if not beyond:
        return None
    base = edit_chat_requests(account)
    cases = [_set(base, p.name, st.sampled_from(beyond))]
    if not _default_ok(p, account):
        cases.append(base.map(lambda b: {k: v for k, v in b.items() if k != p.name}))
        cases.append(_set(base, p.name, st.none()))
    return st.one_of(cases)


def _custom_not_entitled(account: Account | None) -> SearchStrategy[Payload] | None:
    if account is None or _custom_ok(account):
        return None
    return _requests(account, ("custom",))


_BREAKERS: dict[str, Breaker] = {
    "invalid_body": _invalid_body,
    "missing_input": _missing_input,
    "unknown_field": _unknown_field,
    "empty_value": _empty_value,
    "float_for_integer": _float_for_integer,
    "aspect_ratio_missing": _aspect_ratio_missing,
    "aspect_ratio_ignored": _aspect_ratio_ignored,
    "dimensions_ignored": _dimensions_ignored,
    "custom_dimensions_missing": _custom_dimensions_missing,
    "custom_ratio_out_of_range": _custom_ratio_out_of_range,
    "size_not_in_plan": _size_not_in_plan,
    "custom_dimensions_not_entitled": _custom_not_entitled,
}


def _breaker(code: str) -> Breaker:
    return _BREAKERS.get(code) or _declared(code)


@lru_cache(maxsize=32)
def _cases(account: Account | None) -> Mapping[str, SearchStrategy[Any]]:
    """``code -> strategy`` for each rule of ``EDIT_CHAT.rules`` that can be broken alone for ``account``.

    Without an account only the 400 rules apply. With one, the custom-only rules (dimension_*,
    custom_*) need the entitlement.
    Cached per account: building the strategies is what costs, and hypothesis reuses them.
    """
    cases: dict[str, SearchStrategy[Any]] = {}
    for code in EDIT_CHAT.rules:
        if account is None and CATALOGUE[code].status != 400:
            continue
        strategy = _breaker(code)(account)
        if strategy is not None:
            cases[code] = strategy
    return cases


def rule_codes(account: Account | None = None) -> frozenset[str]:
    """The codes ``invalid_edit_chat_requests(account)`` draws, so tests can check coverage."""
    return frozenset(_cases(account))


def invalid_edit_chat_requests_for(code: str, account: Account | None = None) -> SearchStrategy[Any]:
    """Payloads ``validate_edit_chat(payload, account=account)`` answers exactly ``{code}`` for."""
    cases = _cases(account)
    if code not in cases:
        raise ValueError(f"{code!r} cannot be broken alone for {account!r}: use one of {sorted(cases)}")
    return cases[code]


def invalid_edit_chat_requests(account: Account | None = None) -> SearchStrategy[tuple[object, str]]:
    """``(payload, code)``: a valid request with exactly one rule broken, and that rule's code."""
    return st.one_of([_tagged(strategy, code) for code, strategy in _cases(account).items()])


def _tagged(strategy: SearchStrategy[Any], code: str) -> SearchStrategy[tuple[object, str]]:
    return strategy.map(lambda payload: (payload, code))
