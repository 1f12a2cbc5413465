"""Records to JSON and back, by their type hints: how a store that leaves the process keeps them.

Every record is a plain dataclass (``mock_server.store.Store``), so one codec serves them all:
fields are written by name, ``bytes`` as base64, tuples and frozensets as lists, nested records as
objects; reading follows the field's declared type back (``record_hints``: exact for a record compiled
by mypyc too, whose own annotations are approximations). JSON, not pickle: what sits in a shared
Redis is readable with ``redis-cli`` and can never run code in the mock that reads it.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

import orjson

from mock_server.store._hints import record_hints

T = TypeVar("T")
Decoder = Callable[[Any], Any]


def dumps(record: object) -> str:
    """One record as compact JSON: by orjson (the hot path writes a job, a work and a notification or
    two per variation; the stdlib's walk over them cost a third of a Redis request's CPU), or by the
    stdlib where orjson refuses (an integer past 64 bits in a journalled body, a non-string key). Both
    write a float so that it reads back the same; records hold no NaN or infinity (bodies with them are
    refused), which orjson would write as null. Records go through ``_orjson_default``, not orjson's own
    dataclass path, which reads a class's slots or ``__dict__`` and crashes on a compiled record (it has neither)."""
    try:
        return orjson.dumps(record, default=_orjson_default, option=orjson.OPT_PASSTHROUGH_DATACLASS).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(_plain(record), separators=(",", ":"), ensure_ascii=False)


def _orjson_default(value: object) -> object:
    names = _FIELD_NAMES.get(type(value))
    if names is not None:
        return {name: getattr(value, name) for name in names}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, frozenset | set):
        return list(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[type(value)] = tuple(f.name for f in dataclasses.fields(value))
        return {name: getattr(value, name) for name in names}
    raise TypeError(type(value).__name__)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
"""Each record class's field names, found once (a job's write holds a record per generation and
variation: one dict lookup each, not ``is_dataclass`` and a cached call)."""


def loads(kind: type[T], text: str | bytes, *, exact: bool = False) -> T:
    """The record of type ``kind`` that ``dumps`` wrote. Parsed by orjson, which reads an integer past
    64 bits as a float: ``exact`` for records that may hold one (a journal entry echoes request values)."""
    decoded: T = _decoder(typing.cast(Any, kind))(json.loads(text) if exact else _parse(text))
    return decoded


def _parse(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what the stdlib reads and orjson refuses (NaN): as before
        return json.loads(text)


def dump_fields(record: object) -> dict[str, str]:
    """One record as {field name: its JSON}: a Redis hash whose numeric fields a script can change alone
    (a Lua number written back is plain JSON, ``1000`` for ``1000.0``: ``load_fields`` reads it as the
    declared ``float``)."""
    return dump_values({f.name: getattr(record, f.name) for f in dataclasses.fields(typing.cast(Any, record))})


def dump_values(values: dict[str, object]) -> dict[str, str]:
    """Some fields of a record, as ``dump_fields`` writes them (a change of those fields alone)."""
    return {
        name: json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False) for name, value in values.items()
    }


def load_fields(kind: type[T], fields: dict[Any, Any]) -> T:
    """The record ``dump_fields`` wrote (names and values as str or bytes)."""
    plain = {(k.decode() if isinstance(k, bytes) else k): _parse(v) for k, v in fields.items()}
    for name in _float_fields(typing.cast(Any, kind)):
        if isinstance(plain.get(name), int):
            plain[name] = float(plain[name])
    decoded: T = _decoder(typing.cast(Any, kind))(plain)
    return decoded


@cache
def _float_fields(kind: Any) -> frozenset[str]:
    hints = record_hints(kind)
    return frozenset(f.name for f in dataclasses.fields(kind) if hints[f.name] is float)


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list | tuple | frozenset | set):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


@cache
def _decoder(kind: Any) -> Decoder:
    """A function turning the JSON form of ``kind`` back into it (built once per type)."""
    if dataclasses.is_dataclass(kind):
        return _record_decoder(kind)
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return _optional_decoder(args)
    if kind is bytes:
        return base64.b64decode
    if origin is tuple:
        return _tuple_decoder(args)
    if origin in (list, frozenset, set):
        item = _decoder(args[0]) if args else _same
        if origin is list and item is _same:
            return _same  # JSON's list is the list
        return lambda value: origin(item(v) for v in value)
    return _same


def _record_decoder(kind: Any) -> Decoder:
    """Converts in place only the fields whose JSON form is not their value (records, tuples, bytes,
    sets): a job is decoded per completion, and calling an identity per field cost as much as parsing."""
    hints = record_hints(kind)
    names = frozenset(f.name for f in dataclasses.fields(kind))
    converted = [(f.name, read) for f in dataclasses.fields(kind) if (read := _decoder(hints[f.name])) is not _same]

    def decode(value: dict[str, Any]) -> Any:
        if not value.keys() <= names:  # written by another version: its fields this one knows
            value = {name: item for name, item in value.items() if name in names}
        for name, read in converted:
            if name in value:
                value[name] = read(value[name])
        return kind(**value)

    return decode


def _optional_decoder(args: tuple[Any, ...]) -> Decoder:
    kinds = [a for a in args if a is not type(None)]
    inner = _decoder(kinds[0]) if len(kinds) == 1 else _same
    if inner is _same:
        return _same
    return lambda value: None if value is None else inner(value)


def _tuple_decoder(args: tuple[Any, ...]) -> Decoder:
    if len(args) == 2 and args[1] is Ellipsis:
        item = _decoder(args[0])
        return lambda value: tuple(item(v) for v in value)
    items = [_decoder(a) for a in args]
    if not items:
        return tuple
    return lambda value: tuple(read(v) for read, v in zip(items, value, strict=True))


def _same(value: Any) -> Any:
    return value
