"""Reference clients that pass the whole client suite: httpx (sync, async) and the docs' requests flow."""

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

__all__ = ["REFERENCE_FACTORIES", "AsyncPiktidClient", "DocsFlowClient", "PiktidClient", "PiktidError", "SyncAdapter"]
