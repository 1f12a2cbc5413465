"""``__reduce__`` for the records whose ``__init__`` is written out so that mypyc compiles it.

``copyreg``'s default makes the object first and fills it after; a compiled record's written
``__init__`` needs its arguments, so that would fail. These records rebuild by their class instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

Reduced = tuple[Callable[..., object], tuple[object, ...]]
"""What ``__reduce__`` answers: what rebuilds the record, and its arguments."""


def reduce_record(record: Any) -> Reduced:
    """``(its class, its fields' values)``: ``copy``, ``deepcopy`` and ``pickle`` rebuild the record by
    calling its class with them, which its written ``__init__`` takes in field order."""
    return type(record), tuple(getattr(record, f.name) for f in dataclasses.fields(record))
