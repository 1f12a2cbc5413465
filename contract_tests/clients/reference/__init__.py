"""Reference clients that pass the whole client suite: httpx (sync, async), the docs' requests flow, and Node."""

from pathlib import Path

from contract_tests.clients.reference.docs_requests import DocsFlowClient
from contract_tests.clients.reference.errors import PiktidError
from contract_tests.clients.reference.httpx_async import AsyncPiktidClient, SyncAdapter
from contract_tests.clients.reference.httpx_sync import PiktidClient

REFERENCE_FACTORIES = {
    "httpx-sync": "contract_tests.clients.reference.httpx_sync:factory",
    "httpx-async": "contract_tests.clients.reference.httpx_async:factory",
    "docs-requests": "contract_tests.clients.reference.docs_requests:factory",
}
"""Name -> ``package.module:factory`` of each reference client (the suite's default targets)."""

NODE_ADAPTER = Path(__file__).resolve().parent / "node" / "piktid_adapter.mjs"
"""The Node reference adapter (Node >= 18, built-ins only): ``--piktid-client="exec:node <this path>"``."""

__all__ = [
    "NODE_ADAPTER",
    "REFERENCE_FACTORIES",
    "AsyncPiktidClient",
    "DocsFlowClient",
    "PiktidClient",
    "PiktidError",
    "SyncAdapter",
]
