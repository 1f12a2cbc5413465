"""A Starlette fake of PiktID's Image Playground API (v2): ``create_app(Settings(...))``.

Names load on first use (PEP 562), so importing a submodule such as ``mock_server.pytest_plugin``
(which pytest does on every run once the package is installed) pulls in nothing else.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mock_server.backend import ApiError, Backend
    from mock_server.http.app import create_app
    from mock_server.settings import Settings

_HOMES = {
    "ApiError": "mock_server.backend",
    "Backend": "mock_server.backend",
    "Settings": "mock_server.settings",
    "create_app": "mock_server.http.app",
}

__all__ = ["ApiError", "Backend", "Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'mock_server' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
