"""Compact JSON text by orjson, with the standard library's bytes wherever the two could differ.

orjson is several times faster than ``json``; the hot path encodes a journal body and a response
per request. Where its text can differ from ``json``'s (``may_differ``) or it refuses a value,
the stdlib encoder given decides, so the bytes are always the stdlib's.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
"""Types ``json`` refuses or writes otherwise are handed back, so orjson refuses them too (and the stdlib decides)."""


def may_differ(data: bytes) -> bool:
    """Whether orjson's text of a float may differ from ``repr``'s: only below 1e-4, which ``repr`` writes
    with a two-digit exponent (``1e-05``) and orjson as ``0.00001`` or ``1e-7``. Two substring searches,
    not a regex (a regex over a results body cost more than the encoding it saves); such text inside a
    string only sends the value to the stdlib encoder."""
    return b"0.0000" in data or b"e-" in data


def utf8_json(value: Any, encoder: json.JSONEncoder, *, nan: bool = False) -> bytes:
    """``encoder.encode(value).encode()`` for an encoder with ``ensure_ascii=False`` and compact separators.

    ``nan``: the encoder writes NaN and infinities (``allow_nan=True``); orjson writes them as ``null``, so
    text holding ``null`` is then encoded by the stdlib too (a body the mock parsed holds none anyway).
    """
    try:
        data = orjson.dumps(value, option=ORJSON_OPTIONS)
    except orjson.JSONEncodeError:  # an integer past 64 bits, a lone surrogate, a non-string key, ...
        return encoder.encode(value).encode()
    if flat_without_floats(value):  # nothing to differ: no scan of the text (the 202 body, most request bodies)
        return data
    if may_differ(data) or (nan and b"null" in data):
        return encoder.encode(value).encode()
    return data


def flat_without_floats(value: Any) -> bool:
    """Whether ``value`` is a dict of strings, integers, booleans and None only: then only floats could make
    orjson's text differ from the stdlib's, and it holds none (nor NaN). A look at a few values costs less
    than the two or three substring searches of ``may_differ`` over its text."""
    if type(value) is not dict:
        return False
    for item in value.values():
        kind = type(item)
        if kind is not str and kind is not int and kind is not bool and item is not None:
            return False
    return True
