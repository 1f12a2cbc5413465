"""``Settings.store``: "memory" is the default; a URL this build cannot open fails when the Settings is made."""

from __future__ import annotations

import pytest

from mock_server import Backend, Settings
from mock_server.store import MemoryStore, UnsupportedStore, open_store

pytestmark = pytest.mark.memory_only  # what Settings() defaults to is the subject here


def test_memory_is_the_default_store() -> None:
    assert Settings().store == "memory"
    assert isinstance(open_store(Settings().store), MemoryStore)


@pytest.mark.parametrize("url", ["sqlite:///x.db", "nonsense", "memory://x"])
def test_an_unsupported_store_url_is_refused_at_once_with_what_is_accepted(url: str) -> None:
    with pytest.raises(UnsupportedStore, match=r"use 'memory' or 'redis://HOST:PORT/DB'") as refused:
        Settings(store=url)
    assert isinstance(refused.value, ValueError) and url in str(refused.value)


@pytest.mark.parametrize("url", ["redis://", "rediss:///0"])
def test_a_redis_url_without_a_host_is_refused(url: str) -> None:
    with pytest.raises(UnsupportedStore, match="names its host"):
        Settings(store=url)


def test_a_redis_url_is_accepted_without_connecting() -> None:
    assert Settings(store="redis://127.0.0.1:1/0", store_prefix="mine:").store_prefix == "mine:"


def test_a_backend_given_a_store_keeps_its_state_there() -> None:
    store = MemoryStore(seed=1)
    backend = Backend(Settings(seed=1), store=store)
    backend.set_account("tok-store", credits=5)
    user = store.get_user("tok-store")
    assert user is not None and user.credits == 5
