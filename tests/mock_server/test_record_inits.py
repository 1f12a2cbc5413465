"""The records a ``POST /edit-chat`` makes write their ``__init__`` out, so that mypyc compiles it.

A dataclass's generated ``__init__`` is Python made at import time, which mypyc never sees: compiled,
each record would still be built by the interpreter (about 40,000 instructions of a request). The
written ones must take exactly the fields, in order, with the fields' defaults.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import inspect
import pickle
import sys
import types
import typing
from pathlib import Path

import pytest

from mock_server._build import build_kind
from mock_server.backend.entries import Entry
from mock_server.backend.events import Published, Scheduled
from mock_server.backend.jobs import Generation, ImageRef, Job, Variation
from mock_server.backend.notifications import Notification
from mock_server.backend.service import Accepted
from mock_server.backend.work import Work
from piktid_spec import EditChatRequest

pytestmark = pytest.mark.memory_only  # record classes, no mock state

WRITTEN = [
    Accepted,
    Entry,
    Generation,
    ImageRef,
    Job,
    Notification,
    Published,
    Scheduled,
    Variation,
    Work,
]
"""The records made per ``POST /edit-chat`` and its completion (``EditChatRequest``, ``piktid_spec``'s public
record, stays interpreted: ``setup.py``)."""


def _from_source(record: type) -> type:
    """``record`` as the interpreter builds it from its module's source, whatever the installed build:
    its ``__init__`` is then a Python function ``inspect`` can read."""
    module = sys.modules[record.__module__]
    path = Path(typing.cast(str, module.__file__)).with_name(record.__module__.rpartition(".")[2] + ".py")
    spec = importlib.util.spec_from_file_location(record.__module__, path)
    assert spec is not None and spec.loader is not None
    twin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(twin)
    return typing.cast(type, getattr(twin, record.__name__))


def _field_default(field: dataclasses.Field[object]) -> object:
    """A field's default as the written ``__init__`` spells it: a factory's is None (built in the body)."""
    if field.default_factory is not dataclasses.MISSING:
        return None
    return inspect.Parameter.empty if field.default is dataclasses.MISSING else field.default


@pytest.mark.parametrize("record", WRITTEN, ids=lambda record: record.__name__)
def test_the_written_init_takes_the_fields_in_order_with_their_defaults(record: type) -> None:
    source = _from_source(record)
    assert "__init__" in vars(source) and vars(source)["__init__"].__code__.co_filename != "<string>"
    parameters = list(inspect.signature(source.__init__).parameters.values())[1:]
    fields = dataclasses.fields(source)
    assert [(p.name, p.default) for p in parameters] == [(f.name, _field_default(f)) for f in fields]


REQUIRED: dict[type, tuple[object, ...]] = {
    Entry: (0, 0.0, "GET", "/", "", None, 200, None),
    Generation: (0, EditChatRequest.from_payload({"prompt": "p"}), 0.0, (1, 1), None, (), ()),
    Job: ("job", "user", 0.0, "http://testserver"),
}
"""The records with a list field, and arguments for their other required fields."""


@pytest.mark.parametrize("record", list(REQUIRED), ids=lambda record: record.__name__)
def test_a_list_field_left_out_is_a_new_empty_list_per_record(record: type) -> None:
    first, second = record(*REQUIRED[record]), record(*REQUIRED[record])
    lists = [f.name for f in dataclasses.fields(record) if f.default_factory is list]
    assert lists and all(getattr(first, n) == [] and getattr(first, n) is not getattr(second, n) for n in lists)


def test_a_frozen_record_stays_frozen_and_hashes_by_value() -> None:
    ref = ImageRef("file", "k", (1, 2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.key = "other"  # type: ignore[misc]
    assert ref == ImageRef("file", "k", (1, 2), 0, 0) and hash(ref) == hash(ImageRef("file", "k", (1, 2)))


def _examples() -> list[object]:
    request = EditChatRequest.from_payload({"prompt": "p"})
    job = Job("job", "user", 1.0, "http://testserver", 2.0)
    job.generations.append(Generation(0, request, 1.0, (8, 8), ImageRef("file", "f", (8, 8)), (), (("a", "b"),)))
    job.generations[0].variations.append(Variation(0, 0.5, 3.0, "completed", "m", None, 3.0))
    note = Notification(7, "user", "batch_edit", 1.0, {"id_task": "job"}, True)
    return [
        job,
        note,
        Entry(1, 1.0, "POST", "/edit-chat", "", "user", 202, None, [{"field": "x"}], 0.1, '{"a":1}', False, 7, 0, 99),
        Work(1.0, "variation", ("job", "0", "0"), 3),
        Published(note),
        Scheduled(2.0, True),
        Accepted({"id_task": "job"}, []),
    ]


@pytest.mark.parametrize("record", _examples(), ids=lambda record: type(record).__name__)
def test_a_record_copies_deep_copies_and_pickles_to_an_equal_one(record: object) -> None:
    for copied in (copy.copy(record), copy.deepcopy(record), pickle.loads(pickle.dumps(record))):
        assert copied == record and type(copied) is type(record)
    assert copy.deepcopy(record) is not record


@pytest.mark.skipif(build_kind() != "compiled (mypyc)", reason="pure Python install: nothing is compiled")
@pytest.mark.parametrize("record", WRITTEN, ids=lambda record: record.__name__)
def test_compiled_each_record_is_built_by_native_code(record: type) -> None:
    assert not isinstance(vars(record)["__init__"], types.FunctionType)
