"""Each package's public surface: a sorted ``__all__`` of names that import and say what they are.

Every package (a folder with ``__init__.py``) of the project is found on disk, so a new one is
checked without editing this file. "Documented" means a docstring of its own: a module, class or
function's ``__doc__`` (not the one ``dataclass`` writes), or for data (a constant, an alias) a
string literal right after its assignment in the module that defines it.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
ROOTS = ("piktid_spec", "mock_server", "contract_tests", "benchmarks")
PACKAGES = sorted(
    ".".join(init.relative_to(REPO).parent.parts) for root in ROOTS for init in (REPO / root).rglob("__init__.py")
)


KNOWN_GAPS: set[tuple[str, str]] = set()
"""Names left undocumented on purpose; a gap that gets closed must leave this set."""


def ruff_order(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions and the rest."""
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name


def own_doc(obj: Any) -> str | None:
    """The docstring ``obj`` was given, ignoring the ``Name(field, ...)`` one dataclass generates; for a
    class or function compiled by mypyc (which keeps no docstring at run time), the one in its source."""
    doc = obj.__doc__ if not inspect.ismodule(obj) and not _compiled(obj) else _source_doc(obj)
    if doc and inspect.isclass(obj) and dataclasses.is_dataclass(obj) and doc.startswith(f"{obj.__name__}("):
        return None
    return doc.strip() if doc else None


def _compiled(obj: Any) -> bool:
    module = inspect.getmodule(obj)
    return module is not None and not (module.__file__ or "").endswith(".py")


def _source_doc(obj: Any) -> str | None:
    if inspect.ismodule(obj):
        return obj.__doc__ if (obj.__file__ or "").endswith(".py") else ast.get_docstring(_tree(obj))
    module = inspect.getmodule(obj)
    assert module is not None
    for node in _tree(module).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.name == obj.__name__:
            return ast.get_docstring(node)
    return None


def _source(module: ModuleType) -> Path:
    """A module's source file, also when mypyc compiled it (its ``.py`` stays beside the extension)."""
    path = Path(module.__file__ or "")
    return path if path.suffix == ".py" else path.with_name(path.name.split(".")[0] + ".py")


def _tree(module: ModuleType) -> ast.Module:
    return ast.parse(_source(module).read_text(encoding="utf-8"))


def attribute_doc(module: ModuleType, name: str) -> str | None:
    """The string literal after ``name = ...`` in ``module``, following ``from x import name`` to ``x``."""
    body = _tree(module).body
    for index, node in enumerate(body):
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            after = body[index + 1] if index + 1 < len(body) else None
            if (
                isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                return after.value.value
            return None
        if isinstance(node, ast.ImportFrom) and node.module and any(a.name == name for a in node.names):
            return attribute_doc(importlib.import_module(node.module), name)
    return None


def imported_names(module: ModuleType) -> set[str]:
    """Names the package's ``__init__`` imports at run time (not under ``if TYPE_CHECKING``)."""
    found = set()
    for node in _tree(module).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ROOTS:
            found |= {alias.asname or alias.name for alias in node.names}
    return found


def public(package: str) -> tuple[ModuleType, list[str]]:
    module = importlib.import_module(package)
    names = getattr(module, "__all__", None)
    assert isinstance(names, list), f"{package} has no __all__ list"
    return module, names


def test_every_package_is_found() -> None:
    assert {"piktid_spec", "mock_server", "mock_server.testing", "mock_server.backend", "contract_tests"} <= set(
        PACKAGES
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_sorted_without_duplicates(package: str) -> None:
    _, names = public(package)
    assert names == sorted(set(names), key=ruff_order), (
        f"{package}.__all__ should be {sorted(set(names), key=ruff_order)}"
    )


@pytest.mark.parametrize("package", PACKAGES)
def test_the_package_and_each_name_is_documented_and_importable(package: str) -> None:
    module, names = public(package)
    assert own_doc(module), f"{package} has no docstring"
    undocumented = []
    for name in names:
        value = getattr(module, name)  # an AttributeError here: a name in __all__ that does not import
        if inspect.ismodule(value) or inspect.isclass(value) or inspect.isroutine(value):
            documented = own_doc(value)
        else:
            documented = getattr(value, "__dict__", {}).get("__doc__") or attribute_doc(module, name)
        known = (package, name) in KNOWN_GAPS
        assert not (documented and known), f"{package}.{name} is documented now: drop it from KNOWN_GAPS"
        if not documented and not known:
            undocumented.append(name)
    assert not undocumented, f"{package}: no docstring for {undocumented}"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_the_init_imports_is_exported(package: str) -> None:
    module, names = public(package)
    assert imported_names(module) <= set(names), (
        f"{package} imports but does not export {imported_names(module) - set(names)}"
    )
