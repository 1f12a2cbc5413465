"""The mock's state: the ``Store`` protocol (``protocol.py``: every record and atomic operation) and
its implementations, chosen by URL with ``open_store``."""

from mock_server.store.memory import MemoryStore
from mock_server.store.open import UnsupportedStore, check_store_url, open_store
from mock_server.store.protocol import StaleAccount, Store, StoreUnavailable
from mock_server.store.suspend import SUSPENDED, Suspendable

__all__ = [
    "SUSPENDED",
    "MemoryStore",
    "StaleAccount",
    "Store",
    "StoreUnavailable",
    "Suspendable",
    "UnsupportedStore",
    "check_store_url",
    "open_store",
]
