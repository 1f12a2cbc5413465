"""The mock's state and operations: accounts, files, jobs, notifications, webhooks (no Starlette, no network).

``Backend`` is the one object the HTTP layer and the test harness drive; ``ApiError`` is how an
operation refuses (rendered by ``mock_server.http``). Names load on first use (PEP 562), so
importing one submodule (``mock_server.backend.clock``) pulls in nothing else.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_server.backend.errors import ApiError
    from mock_server.backend.service import Backend

_HOMES = {"ApiError": "mock_server.backend.errors", "Backend": "mock_server.backend.service"}

__all__ = ["ApiError", "Backend"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'mock_server.backend' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
