"""This repository's tests: the kit's ``fast`` hypothesis profile unless ``--hypothesis-profile`` says
otherwise, and the behaviour suite on both stores.

Every test under ``STORE_DIRS`` runs twice, ``[memory]`` and ``[redis]``: the ``mock_store``
fixture sets ``PIKTID_MOCK_STORE`` (the default of ``Settings.store``) to a throwaway
``redis-server`` started once for the session, with a key prefix of the module's own (each mock a
test makes is fresh: the harness clears its store). Fixtures that share a mock across a module take
``mock_store``, so they are built again for each store. Without a ``redis-server`` binary the
``[redis]`` runs skip with one line; under ``CI`` they fail instead. A test marked ``memory_only``
(a unit test of the memory store, or of a piece with no state) runs once.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

import contract_tests.profiles  # noqa: F401 - imported for its side effect: registers "fast" and "thorough"

settings.load_profile("fast")

ROOT = Path(__file__).parent
STORE_DIRS = ("tests/mock_server", "tests/events", "tests/testing", "tests/dashboard", "tests/contract")
STORES = ("memory", "redis")
_prefixes = itertools.count(1)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    path = Path(str(metafunc.definition.path)).resolve().relative_to(ROOT).as_posix()
    single = metafunc.definition.get_closest_marker("memory_only") is not None
    if path.startswith(STORE_DIRS) and not single and "mock_store" in metafunc.fixturenames:
        metafunc.parametrize("mock_store", STORES, indirect=True, scope="module")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A throwaway redis-server for the whole run (skipped with one line when the binary is missing)."""
    from mock_server.testing import RedisServer, need_tool

    with RedisServer(need_tool("redis-server")) as server:
        yield server.url


@pytest.fixture(scope="module", autouse=True)
def mock_store(request: pytest.FixtureRequest) -> Iterator[str]:
    """The store every ``Settings()`` of this module's tests defaults to: ``memory``, or Redis under a
    prefix of the module's own. Module-scoped, so a module's shared servers (a ``LiveServer`` fixture
    of module scope that takes ``mock_store``) are built once per store, on that store."""
    kind = getattr(request, "param", "memory")
    if kind == "memory":
        yield "memory"
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"test{next(_prefixes)}:"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PIKTID_MOCK_STORE", url)
        patch.setenv("PIKTID_MOCK_STORE_PREFIX", prefix)
        yield url
    _forget(url, prefix)


def _forget(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        names = list(client.scan_iter(match=prefix + "*", count=1000))
        for start in range(0, len(names), 500):
            client.unlink(*names[start : start + 500])
    finally:
        client.close()
