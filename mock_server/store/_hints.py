"""The exact type of each field of a stored record, whether its module runs compiled or not.

Why not ``typing.get_type_hints``: a dataclass compiled by mypyc (``setup.py``) keeps approximations in
``__annotations__`` and ``dataclasses.fields(...).type`` (``type`` for ``str | None``, ``tuple`` for
``tuple[int, int]``), and the codec reads records back by the exact types. The source beside the
compiled module still says them: a field's annotation is read from its class statement there (the text
``from __future__ import annotations`` keeps) and resolved as ``typing.get_type_hints`` resolves it, in
the module's globals. One path for both builds, so the pure-Python build runs what the compiled one does.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
import typing
from functools import cache
from pathlib import Path
from typing import Any


def record_hints(kind: type) -> dict[str, Any]:
    """{field name: its declared type} of the dataclass ``kind`` (and of its dataclass bases), in field order.
    A class whose source cannot be read (not a top-level class of a module file) raises ``LookupError``."""
    texts: dict[str, str] = {}
    for cls in reversed(kind.__mro__[:-1]):
        texts.update(_class_annotations(cls.__module__, cls.__qualname__))
    twin = type(kind.__name__, (), {"__annotations__": texts, "__module__": kind.__module__})
    hints = typing.get_type_hints(twin)
    return {f.name: hints[f.name] for f in dataclasses.fields(typing.cast(Any, kind))}


def _class_annotations(module: str, name: str) -> dict[str, str]:
    for node in _source(module).body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return {
                statement.target.id: ast.unparse(statement.annotation)
                for statement in node.body
                if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
            }
    raise LookupError(f"{module}.{name}: no top-level class statement in its source")


@cache
def _source(module: str) -> ast.Module:
    """The parsed source of ``module``: its ``__file__``, or the ``.py`` beside a compiled one."""
    file = Path(getattr(sys.modules.get(module), "__file__", None) or "")
    path = file.with_name(module.rpartition(".")[2] + ".py")
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LookupError(f"{module}: its source {path} cannot be read ({exc})") from exc
