"""``open_store(url)``: the store a ``Settings.store`` / ``--store`` URL names.

``"memory"`` (the default) is this process's ``MemoryStore``; ``redis://HOST:PORT/DB`` (or
``rediss://`` for TLS) is a ``RedisStore`` whose keys all start with ``prefix``. Anything else is
refused with a message naming what is accepted.
"""

from __future__ import annotations

from collections.abc import Callable

from mock_server.store.memory import MemoryStore
from mock_server.store.protocol import Store

Factory = Callable[[str, "int | None", str], Store]


def _redis(url: str, seed: int | None, prefix: str) -> Store:
    from mock_server.store.redis import RedisStore

    return RedisStore(url, seed, prefix=prefix)


FACTORIES: dict[str, Factory] = {
    "memory": lambda url, seed, prefix: MemoryStore(seed),
    "redis": _redis,
    "rediss": _redis,
}
"""Scheme -> ``factory(url, seed, prefix)``."""


class UnsupportedStore(ValueError):
    """A store URL this build cannot open (an unknown scheme, or a Redis URL without a host)."""


def scheme_of(url: str) -> str:
    return url if "://" not in url else url.split("://", 1)[0].lower()


def open_store(url: str = "memory", *, seed: int | None = None, prefix: str = "piktid-mock:") -> Store:
    """A store for ``url`` (a Redis store may already hold state); ``UnsupportedStore`` names what is accepted."""
    factory = FACTORIES.get(scheme_of(check_store_url(url)))
    assert factory is not None
    return factory(url, seed, prefix)


def check_store_url(url: str) -> str:
    """``url`` if ``open_store`` would accept it (for the CLI and ``Settings`` to fail early)."""
    scheme = scheme_of(url)
    if scheme not in FACTORIES or (scheme == "memory" and url != "memory"):
        raise UnsupportedStore(f"store {url!r}: unknown store; use 'memory' or 'redis://HOST:PORT/DB'")
    if scheme != "memory" and not url.split("://", 1)[1].split("/", 1)[0]:
        raise UnsupportedStore(
            f"store {url!r}: a Redis URL names its host; use 'memory' or e.g. 'redis://127.0.0.1:6379/0'"
        )
    return url
