"""respx's httpcore patches, set by plain attribute assignment instead of ``unittest.mock.patch``.

respx (``HTTPCoreMocker``) replaces ``handle_request`` / ``handle_async_request`` of httpcore's
connection classes through ``unittest.mock.patch(spec=True)``: resolving each dotted target,
inspecting the original, for six classes on every start and again on every stop. That cost a
``mock_piktid`` entry more than the test's own two calls through the mock. Here the same
replacements (respx's own wrapper functions, ``HTTPCoreMocker.mock(original)``, built once per
original) are set directly and entered into respx's record of its patches. So respx's own start
sees httpcore patched and leaves it, and respx's stop removes them when its last router leaves:
a user's ``respx.mock`` opened inside, around or across a ``mock_piktid`` shares one set of patches
with it, as two respx routers do.
"""

from __future__ import annotations

import pkgutil
from typing import Any

from respx.mocks import HTTPCoreMocker

_MISSING = object()
_OWNERS: dict[str, Any] = {}
"""Dotted target -> the class it names (respx's targets are fixed once httpcore is imported)."""
_WRAPPERS: dict[tuple[Any, str], tuple[Any, Any]] = {}
"""(class, method) -> (the original the wrapper was built for, respx's wrapper of it)."""


class _Patch:
    """One method of one class replaced; ``stop`` puts back what was there, as ``mock.patch`` does."""

    def __init__(self, owner: Any, name: str, original: Any, replacement: Any) -> None:
        self.owner, self.name, self.original, self.replacement = owner, name, original, replacement
        self.local = name in vars(owner)

    def start(self) -> None:
        setattr(self.owner, self.name, self.replacement)

    def stop(self) -> None:
        if self.local:
            setattr(self.owner, self.name, self.original)
        else:
            delattr(self.owner, self.name)


def _owner(target: str) -> Any:
    """The class ``target`` names, or None when it has none (respx skips such a target too)."""
    if target not in _OWNERS:
        try:
            _OWNERS[target] = pkgutil.resolve_name(target)
        except AttributeError:
            _OWNERS[target] = None
    return _OWNERS[target]


def _respx_wrapper(original: Any) -> Any:
    wrap: Any = HTTPCoreMocker.mock  # respx leaves it untyped
    return wrap(original)


def _patch(owner: Any, name: str) -> _Patch | None:
    """The patch respx would make of ``owner.name``, or None where respx makes none (no such attribute)."""
    original = vars(owner).get(name, getattr(owner, name, _MISSING))
    if original is _MISSING:
        return None
    built = _WRAPPERS.get((owner, name))
    if built is None or built[0] is not original:
        built = _WRAPPERS[(owner, name)] = (original, _respx_wrapper(original))
    return _Patch(owner, name, original, built[1])


def start_httpcore_patches() -> None:
    """Patch httpcore as ``HTTPCoreMocker.start`` would, unless it is patched already (by respx or here)."""
    patches: list[Any] = HTTPCoreMocker._patches
    if patches:
        return
    for target in HTTPCoreMocker.targets:
        owner = _owner(target)
        if owner is None:
            continue
        for name in HTTPCoreMocker.target_methods:
            patch = _patch(owner, name)
            if patch is not None:
                patch.start()
                patches.append(patch)
