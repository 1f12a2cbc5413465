"""``mock_server.store._hints``: the codec's field types are the records' exact hints, compiled or not."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import sys
import types
import typing
from pathlib import Path

import orjson
import pytest

from mock_server.store import codec
from mock_server.store._hints import record_hints
from mock_server.store.redis import _RECORDS

pytestmark = pytest.mark.memory_only  # record classes, no mock state

MODULES = sorted({f"mock_server.backend.{name}" for name in _RECORDS.values()} | {"piktid_spec.request"})
"""Every module defining a stored record (the Redis store's table) and ``EditChatRequest`` (a job holds one)."""


def _interpreted_twin(name: str) -> types.ModuleType:
    """The module run again from its source by the interpreter, whatever the installed build: its classes
    carry the annotations Python itself keeps."""
    path = Path(typing.cast(str, importlib.import_module(name).__file__)).with_name(name.rpartition(".")[2] + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    twin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(twin)
    return twin


def _records(module: types.ModuleType) -> list[type]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module.__name__
    ]


@pytest.mark.parametrize("name", MODULES)
def test_the_codec_reads_each_record_by_the_hints_python_gives_its_source(name: str) -> None:
    twin = _interpreted_twin(name)
    for pure in _records(twin):
        compiled = getattr(sys.modules[name], pure.__name__)
        expected = typing.get_type_hints(pure, globalns=vars(twin))
        assert {k: repr(v) for k, v in record_hints(compiled).items()} == {k: repr(v) for k, v in expected.items()}
        assert list(record_hints(compiled)) == [f.name for f in dataclasses.fields(compiled)]


def test_every_stored_record_kind_is_covered() -> None:
    kinds = {getattr(importlib.import_module(f"mock_server.backend.{m}"), n) for n, m in _RECORDS.items()}
    assert all(kind.__module__ in MODULES for kind in kinds)


def test_a_record_reads_back_as_it_was_written() -> None:
    from mock_server.backend.accounts import User
    from mock_server.backend.jobs import ImageRef

    user = User("tok", "pro", 5.0, frozenset({"a"}), version="v")
    assert codec.loads(User, codec.dumps(user)) == user
    assert codec.load_fields(User, codec.dump_fields(user)) == user
    ref = ImageRef("file", "f", (3, 4))
    assert codec.loads(ImageRef, codec.dumps(ref)) == ref
    assert orjson.loads(codec.dumps(ref)) == {
        "kind": "file",
        "key": "f",
        "size": [3, 4],
        "image_index": 0,
        "group_index": 0,
    }


def test_a_class_without_a_readable_source_is_named() -> None:
    holder = types.new_class("Nowhere")
    holder.__module__ = __name__
    with pytest.raises(LookupError, match="Nowhere"):
        record_hints(dataclasses.dataclass(holder))
