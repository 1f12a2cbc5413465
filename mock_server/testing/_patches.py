"""httpcore patched for respx by plain attribute assignment, with a direct path for a router that answers itself.

respx (``HTTPCoreMocker``) replaces ``handle_request`` / ``handle_async_request`` of httpcore's
connection classes through ``unittest.mock.patch(spec=True)``: resolving each dotted target and
inspecting the original, for six classes on every start and again on every stop. That cost a
``mock_piktid`` entry more than the test's own two calls through the mock. Here the replacements are
set directly and entered into respx's record of its patches, so respx's own start sees httpcore
patched and leaves it, and respx's stop removes them when its last router leaves: a user's
``respx.mock`` opened inside, around or across a ``mock_piktid`` shares one set of patches with it,
as two respx routers do.

Each replacement is respx's own wrapper of the original (``HTTPCoreMocker.mock(original)``, built
once per original), with one path before it: when the first router registered with respx is a
``DirectRouter`` that answers the request's origin, it answers httpcore's request itself, as respx
would have asked it first, without respx converting the request to httpx's and the response back.
"""

from __future__ import annotations

import inspect
import pkgutil
from typing import Any

import httpcore
import respx
from respx.mocks import HTTPCoreMocker

_MISSING = object()
_OWNERS: dict[str, Any] = {}
"""Dotted target -> the class it names, or None (respx skips a target it cannot patch)."""
_PATCHES: dict[tuple[Any, str], _Patch] = {}
"""(class, method) -> its last patch, built for the original then in place."""


class DirectRouter(respx.MockRouter):
    """A respx router that may answer httpcore's request for its origin itself (see the module)."""

    def answers(self, url: httpcore.URL) -> tuple[str, int] | None:
        """The ASGI ``server`` (host, port) when this router answers ``url`` itself, else None."""
        raise NotImplementedError

    def respond_core(self, request: httpcore.Request, server: tuple[str, int]) -> httpcore.Response:
        raise NotImplementedError

    async def arespond_core(self, request: httpcore.Request, server: tuple[str, int]) -> httpcore.Response:
        raise NotImplementedError


def _direct(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[DirectRouter, Any, tuple[str, int]] | None:
    """The router answering this call itself, its request and server; None when respx's path must run."""
    routers = HTTPCoreMocker.routers
    first = routers[0] if routers else None
    if not isinstance(first, DirectRouter):
        return None
    request = args[0] if args else kwargs.get("request")
    server = first.answers(request.url) if isinstance(request, httpcore.Request) else None
    return None if server is None else (first, request, server)


def _replacement(original: Any) -> Any:
    """respx's wrapper of ``original``, behind the direct path (sync or async, as ``original`` is)."""
    build: Any = HTTPCoreMocker.mock  # respx leaves it untyped
    wrapper = build(original)
    if wrapper is original:  # respx does not wrap what is not a target method
        return original
    if inspect.iscoroutinefunction(original):

        async def direct_or_respx_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            direct = _direct(args, kwargs)
            if direct is None:
                return await wrapper(self, *args, **kwargs)
            router, request, server = direct
            return await router.arespond_core(request, server)

        return direct_or_respx_async

    def direct_or_respx(self: Any, *args: Any, **kwargs: Any) -> Any:
        direct = _direct(args, kwargs)
        if direct is None:
            return wrapper(self, *args, **kwargs)
        router, request, server = direct
        return router.respond_core(request, server)

    return direct_or_respx


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


def _patch(owner: Any, name: str) -> _Patch | None:
    """The patch of ``owner.name`` (kept while the original stays), or None where respx makes none."""
    local = vars(owner).get(name, _MISSING)
    original = getattr(owner, name, _MISSING) if local is _MISSING else local
    if original is _MISSING:
        return None
    patch = _PATCHES.get((owner, name))
    if patch is None or patch.original is not original or patch.local is (local is _MISSING):
        patch = _PATCHES[(owner, name)] = _Patch(owner, name, original, _replacement(original))
    return patch


def start_httpcore_patches() -> None:
    """Patch httpcore where ``HTTPCoreMocker.start`` would, unless it is patched already (by respx or here)."""
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
