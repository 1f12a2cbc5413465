"""``open_store(url)``: the store a ``Settings.store`` / ``--store`` URL names.

``"memory"`` (the default) is this process's ``MemoryStore``. A ``redis://`` URL is where a Redis
store plugs in: give its scheme a factory in ``FACTORIES``; until then it is refused with a
message that says so, like any other unknown URL.
"""

from __future__ import annotations

from collections.abc import Callable

from mock_server.store.memory import MemoryStore
from mock_server.store.protocol import Store

SCHEMES = ("memory", "redis", "rediss")
FACTORIES: dict[str, Callable[[str, int | None], Store]] = {"memory": lambda url, seed: MemoryStore(seed)}
"""Scheme -> ``factory(url, seed)``. The Redis store registers ``redis`` and ``rediss`` here."""


class UnsupportedStore(ValueError):
    """A store URL this build cannot open (unknown scheme, or a known one not implemented yet)."""


def scheme_of(url: str) -> str:
    return url if "://" not in url else url.split("://", 1)[0].lower()


def open_store(url: str = "memory", *, seed: int | None = None) -> Store:
    """A new, empty store for ``url``; ``UnsupportedStore`` (a ValueError) names what is accepted."""
    scheme = scheme_of(url)
    factory = FACTORIES.get(scheme)
    if factory is not None:
        return factory(url, seed)
    if scheme in SCHEMES:
        raise UnsupportedStore(f"store {url!r}: the {scheme} store is not available in this version; use 'memory'")
    raise UnsupportedStore(f"store {url!r}: unknown store; use 'memory'")


def check_store_url(url: str) -> str:
    """``url`` if ``open_store`` would accept it (for the CLI and ``Settings`` to fail early)."""
    if scheme_of(url) not in FACTORIES:
        open_store(url)
    return url
